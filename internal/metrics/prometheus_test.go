package metrics_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/metrics"
	"github.com/cnibench/cnibench/internal/metrics/promtest"
	"github.com/cnibench/cnibench/internal/runrecord/runrecordtest"
	"github.com/cnibench/cnibench/internal/stats"
)

// TestPushToPrometheus pushes a run to Debian's Pushgateway, lets
// Debian's Prometheus scrape it, and reads the overhead back with PromQL:
// the value a dashboard shows is the run record's. Two runs stay two
// groups; pushing one again replaces it.
func TestPushToPrometheus(t *testing.T) {
	gw := promtest.Pushgateway(t)
	prom := promtest.Prometheus(t, gw)
	runs := []int{1, 2}
	for _, seed := range runs {
		run := runrecordtest.Build(runrecordtest.Options{Seed: uint64(seed), Protocols: []engine.Protocol{engine.TCP}})
		for range 2 { // the second push replaces the first
			if err := metrics.Push(context.Background(), run, metrics.PushOptions{URL: gw}); err != nil {
				t.Fatal(err)
			}
		}
		s := run.Summary(stats.Key{Variant: "datapath=vxlan", Scenario: "pod-pod-cross", Protocol: engine.TCP, Streams: 1})
		query := fmt.Sprintf(`cnibench_overhead_ratio{job="cnibench",run_id=%q,scenario="pod-pod-cross",variant="datapath=vxlan",protocol="tcp"}`, run.ID)
		got := promtest.Await(t, prom, query, 1)
		if got[0].Value != s.Overhead.Ratio {
			t.Errorf("%s = %v, run record %v", query, got[0].Value, s.Overhead.Ratio)
		}
		if got[0].Labels["cluster"] != "lab" || got[0].Labels["datapath"] != "vxlan" {
			t.Errorf("labels %v: want cluster lab, datapath vxlan", got[0].Labels)
		}
		start := promtest.Await(t, prom, fmt.Sprintf(`cnibench_run_start_timestamp_seconds{run_id=%q}`, run.ID), 1)
		if start[0].Value != float64(run.Start.Unix()) {
			t.Errorf("run start %v, want %v", start[0].Value, run.Start.Unix())
		}
	}
	// One group per run; the failed group (every pod-nodeport test of the
	// routed variant) has its counts and no goodput.
	promtest.Await(t, prom, `count by (run_id) (cnibench_run_complete)`, len(runs))
	promtest.Await(t, prom, `cnibench_failed_samples{scenario="pod-nodeport",variant="datapath=routed"} == 5`, len(runs))
	promtest.Await(t, prom, `cnibench_goodput_median_bits_per_second{scenario="pod-nodeport",variant="datapath=routed"}`, 0)
}
