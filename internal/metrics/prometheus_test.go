package metrics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/metrics"
	"github.com/cnibench/cnibench/internal/metrics/promtest"
	"github.com/cnibench/cnibench/internal/runrecord/runrecordtest"
	"github.com/cnibench/cnibench/internal/stats"
)

// TestPushToPrometheus pushes a run to Debian's Pushgateway, lets
// Debian's Prometheus scrape it, and reads the overhead back with PromQL:
// the value a dashboard shows is the run record's, goodput and latency. Two runs stay two
// groups; pushing one again replaces it.
func TestPushToPrometheus(t *testing.T) {
	gw := promtest.Pushgateway(t)
	prom := promtest.Prometheus(t, gw)
	runs := []int{1, 2}
	for _, seed := range runs {
		run := runrecordtest.Build(runrecordtest.Options{Seed: uint64(seed), Protocols: []stats.Protocol{stats.TCP}, Repeats: 6})
		runrecordtest.AddLatency(run, runrecordtest.LatencyOptions{Tests: []string{"rr", "crr"}, Variant: "datapath=vxlan", Factor: float64(seed)})
		for range 2 { // the second push replaces the first
			if err := metrics.Push(context.Background(), run, metrics.PushOptions{URL: gw}); err != nil {
				t.Fatal(err)
			}
		}
		s := run.Summary(stats.Key{Variant: "datapath=vxlan", Scenario: "pod-pod-cross", Protocol: stats.TCP, Streams: 1})
		query := fmt.Sprintf(`cnibench_overhead_ratio{job="cnibench",run_id=%q,scenario="pod-pod-cross",variant="datapath=vxlan",protocol="tcp"}`, run.ID)
		got := promtest.Await(t, prom, query, 1)
		if got[0].Value != s.Overhead.Ratio {
			t.Errorf("%s = %v, run record %v", query, got[0].Value, s.Overhead.Ratio)
		}
		if got[0].Labels["cluster"] != "lab" || got[0].Labels["datapath"] != "vxlan" {
			t.Errorf("labels %v: want cluster lab, datapath vxlan", got[0].Labels)
		}
		// The latency summaries too, in seconds.
		for _, ls := range run.LatencySummaries {
			if ls.Scenario != "pod-pod-cross" {
				continue
			}
			query := fmt.Sprintf(`cnibench_latency_p50_median_seconds{run_id=%q,scenario="pod-pod-cross",variant="datapath=vxlan",test=%q}`, run.ID, ls.Test)
			if got := promtest.Await(t, prom, query, 1); got[0].Value != ls.P50Us.Median/1e6 {
				t.Errorf("%s = %v, run record %v µs", query, got[0].Value, ls.P50Us.Median)
			}
		}
		start := promtest.Await(t, prom, fmt.Sprintf(`cnibench_run_start_timestamp_seconds{run_id=%q}`, run.ID), 1)
		if start[0].Value != float64(run.Start.Unix()) {
			t.Errorf("run start %v, want %v", start[0].Value, run.Start.Unix())
		}
	}
	// One group per run; the failed group (every pod-nodeport test of the
	// routed variant) has its counts and no goodput.
	promtest.Await(t, prom, `count by (run_id) (cnibench_run_complete)`, len(runs))
	promtest.Await(t, prom, `cnibench_failed_samples{scenario="pod-nodeport",variant="datapath=routed"} == 6`, len(runs))
	promtest.Await(t, prom, `cnibench_goodput_median_bits_per_second{scenario="pod-nodeport",variant="datapath=routed"}`, 0)

	// Every query of the Grafana dashboard answers, over the runs pushed.
	for _, q := range dashboardQueries(t) {
		got, err := promtest.Query(context.Background(), prom, q)
		if err != nil || len(got) == 0 {
			t.Errorf("dashboard query %s: %d series, %v", q, len(got), err)
		}
	}
}

// dashboardQueries are the dashboard's panel queries and its variables'
// selectors, with the variables set to cluster lab and every value.
func dashboardQueries(t *testing.T) []string {
	b, err := os.ReadFile("../../deploy/grafana/cnibench-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	vars := strings.NewReplacer(`"$cluster"`, `"lab"`, `"$variant"`, `".*"`, `"$scenario"`, `".*"`, `"$protocol"`, `".*"`)
	var qs []string
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			qs = append(qs, vars.Replace(tg.Expr))
		}
	}
	for _, v := range d.Templating.List { // label_values(SELECTOR, label)
		sel, ok := strings.CutPrefix(v.Definition, "label_values(")
		if i := strings.LastIndex(sel, ","); ok && i > 0 {
			qs = append(qs, vars.Replace(sel[:i]))
		} else {
			t.Errorf("dashboard variable %q: not label_values(SELECTOR, label)", v.Definition)
		}
	}
	return qs
}
