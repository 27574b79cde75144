package metrics

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/runrecord/runrecordtest"
	"github.com/cnibench/cnibench/internal/stats"
	"github.com/cnibench/cnibench/internal/testenv"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with what the exporter produces now")

func TestOpenMetricsGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteOpenMetrics(&b, fullRun()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "run.om")
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/metrics -update to create it)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		got := strings.Split(b.String(), "\n")
		for i, w := range strings.Split(string(want), "\n") {
			if i >= len(got) || got[i] != w {
				t.Fatalf("run.om differs from the golden file at line %d:\nwant: %q\n(if intended: go test ./internal/metrics -update, then review git diff)", i+1, w)
			}
		}
		t.Fatal("run.om has more lines than the golden file")
	}
}

// parse reads OpenMetrics text back with expfmt's own parser.
func parse(t *testing.T, text []byte) map[string]*dto.MetricFamily {
	t.Helper()
	dec := expfmt.NewDecoder(bytes.NewReader(text), expfmt.NewFormat(expfmt.TypeOpenMetrics))
	out := map[string]*dto.MetricFamily{}
	for {
		var mf dto.MetricFamily
		err := dec.Decode(&mf)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("the OpenMetrics parser refuses the export: %v", err)
		}
		out[mf.GetName()] = &mf
	}
}

// find returns the value of the series of name with the given labels.
func find(mfs map[string]*dto.MetricFamily, name string, labels map[string]string) (*dto.Metric, bool) {
	mf, ok := mfs[name]
	if !ok {
		return nil, false
	}
	for _, m := range mf.GetMetric() {
		match := 0
		for _, lp := range m.GetLabel() {
			if v, ok := labels[lp.GetName()]; ok && v == lp.GetValue() {
				match++
			}
		}
		if match == len(labels) {
			return m, true
		}
	}
	return nil, false
}

func TestParseBack(t *testing.T) {
	run := fullRun()
	var b bytes.Buffer
	if err := WriteOpenMetrics(&b, run); err != nil {
		t.Fatal(err)
	}
	mfs := parse(t, b.Bytes())
	if want := len(runMetrics) + len(groupMetrics) + len(latencyMetrics); len(mfs) != want {
		t.Errorf("%d families, want %d", len(mfs), want)
	}
	for name, mf := range mfs {
		if mf.GetHelp() == "" || mf.GetType() != dto.MetricType_GAUGE {
			t.Errorf("%s: help %q, type %v: want help and gauge", name, mf.GetHelp(), mf.GetType())
		}
		if u := mf.GetUnit(); u != "" && !strings.HasSuffix(name, "_"+u) {
			t.Errorf("%s: unit %q is not its suffix", name, u)
		}
		for _, m := range mf.GetMetric() {
			if m.GetTimestampMs() != run.Start.UnixMilli() {
				t.Errorf("%s: timestamp %d, want the run's start %d", name, m.GetTimestampMs(), run.Start.UnixMilli())
			}
		}
	}
	// Every summary's figures come back as the record has them.
	for _, s := range run.Summaries {
		labels := map[string]string{"variant": s.Variant, "scenario": s.Scenario, "protocol": string(s.Protocol), "streams": "1", "run_id": run.ID}
		for _, c := range []struct {
			name string
			want *float64
		}{
			{"cnibench_goodput_median_bits_per_second", goodput(s)},
			{"cnibench_overhead_ratio", overhead(s)},
		} {
			checkFigure(t, mfs, c.name, labels, c.want)
		}
	}

	// So do the latency summaries' (in seconds); a baseline has no delta,
	// only rr under load a load delta.
	for _, s := range run.LatencySummaries {
		labels := map[string]string{"variant": s.Variant, "scenario": s.Scenario, "test": s.Test, "run_id": run.ID}
		for _, c := range []struct {
			name string
			want *float64
		}{
			{"cnibench_latency_p50_median_seconds", inSeconds(s.P50Us.Median)},
			{"cnibench_latency_p99_median_ci_upper_seconds", ciUpperSeconds(s.P99Us)}, // none with 5 tests (the failed crr)
			{"cnibench_latency_transactions_per_second_median", &s.PerSecond.Median},
			{"cnibench_latency_p50_delta_seconds", deltaSeconds(s.P50Delta)},
			{"cnibench_latency_load_p50_delta_seconds", deltaSeconds(s.LoadP50Delta)},
		} {
			checkFigure(t, mfs, c.name, labels, c.want)
		}
		if m, ok := find(mfs, "cnibench_latency_p90_median_seconds", labels); !ok || m.GetGauge().GetValue() <= s.P50Us.Median/1e6 {
			t.Errorf("%v: p90 %v, want above p50 %v µs", labels, m.GetGauge().GetValue(), s.P50Us.Median)
		}
	}
}

// checkFigure checks the series of name with labels has the record's
// figure want, or is absent when the record has none (want nil).
func checkFigure(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels map[string]string, want *float64) {
	t.Helper()
	m, ok := find(mfs, name, labels)
	switch {
	case want == nil && ok:
		t.Errorf("%s %v: a sample %v where the record has no figure", name, labels, m.GetGauge().GetValue())
	case want != nil && !ok:
		t.Errorf("%s %v: missing", name, labels)
	case ok && m.GetGauge().GetValue() != *want:
		t.Errorf("%s %v = %v, record %v", name, labels, m.GetGauge().GetValue(), *want)
	}
}

func inSeconds(us float64) *float64 {
	s := us / 1e6
	return &s
}

func ciUpperSeconds(e *stats.Estimate) *float64 {
	if e.MedianCI == nil {
		return nil
	}
	return inSeconds(e.MedianCI.High)
}

func deltaSeconds(d *stats.LatencyDelta) *float64 {
	if d == nil {
		return nil
	}
	return inSeconds(d.DeltaUs)
}

func goodput(s stats.Summary) *float64 {
	if s.Goodput == nil {
		return nil
	}
	return &s.Goodput.Median
}

func overhead(s stats.Summary) *float64 {
	if s.Overhead == nil {
		return nil
	}
	return &s.Overhead.Ratio
}

// TestFigures checks which series a group gets: a figure the record does
// not have is no sample, never 0.
func TestFigures(t *testing.T) {
	two := runrecordtest.Build(runrecordtest.Options{Variants: []string{""}, Scenarios: []string{"node-node", "pod-pod-cross"}, Protocols: []stats.Protocol{stats.TCP}, Repeats: 2})
	failed := runrecordtest.Build(runrecordtest.Options{Variants: []string{"datapath=routed"}, Scenarios: []string{"node-node", "pod-nodeport"}, Protocols: []stats.Protocol{stats.TCP}, Repeats: 3})
	udp := runrecordtest.Build(runrecordtest.Options{Variants: []string{"datapath=vxlan"}, Scenarios: []string{"node-node", "pod-pod-cross"}, Protocols: []stats.Protocol{stats.UDP}, Repeats: 6})
	tests := []struct {
		name     string
		run      *runrecord.Run
		scenario string
		want     map[string]float64 // figures that must be there (NaN: any value)
		absent   []string
	}{
		{"two repeats: no intervals", two, "pod-pod-cross",
			map[string]float64{"samples": 2, "failed_samples": 0, "goodput_median_bits_per_second": math.NaN(), "overhead_ratio": math.NaN(), "overhead_floor_ratio": 0},
			[]string{"goodput_median_ci_lower_bits_per_second", "overhead_ci_lower_ratio", "connect_rtt_median_ci_lower_seconds", "udp_loss_ratio"}},
		{"baseline has no overhead", two, "node-node",
			map[string]float64{"samples": 2, "goodput_median_bits_per_second": math.NaN()},
			[]string{"overhead_ratio", "connect_rtt_delta_seconds"}},
		{"every test failed: counts only", failed, "pod-nodeport",
			map[string]float64{"samples": 0, "failed_samples": 3},
			[]string{"goodput_median_bits_per_second", "overhead_ratio", "connect_rtt_median_seconds", "cpu_sender_ratio", "tcp_retransmits_median"}},
		{"udp: loss and jitter, no retransmits", udp, "pod-pod-cross",
			map[string]float64{"samples": 6, "udp_loss_ratio": math.NaN(), "udp_jitter_seconds": math.NaN(), "goodput_median_ci_upper_bits_per_second": math.NaN()},
			[]string{"tcp_retransmits_median"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mfs, err := Gather(tt.run, Options{})
			if err != nil {
				t.Fatal(err)
			}
			byName := map[string]*dto.MetricFamily{}
			for _, mf := range mfs {
				byName[mf.GetName()] = mf
			}
			labels := map[string]string{"scenario": tt.scenario}
			for name, want := range tt.want {
				m, ok := find(byName, "cnibench_"+name, labels)
				if !ok {
					t.Errorf("%s: missing", name)
					continue
				}
				if got := m.GetGauge().GetValue(); !math.IsNaN(want) && got != want {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
				if m.TimestampMs != nil {
					t.Errorf("%s: a timestamp without Options.Timestamps", name)
				}
			}
			for _, name := range tt.absent {
				if m, ok := find(byName, "cnibench_"+name, labels); ok {
					t.Errorf("%s: %v, want no sample", name, m.GetGauge().GetValue())
				}
			}
		})
	}
}

func TestLabels(t *testing.T) {
	kube := runrecordtest.Build(runrecordtest.Options{Variants: []string{""}, Scenarios: []string{"node-node"}, Protocols: []stats.Protocol{stats.TCP}, Repeats: 1})
	kube.Cluster.Kind, kube.Cluster.Name = "kube", "prod (https://api.prod.example:6443)"
	kube.Cluster.Details = map[string]any{"kubernetes_version": "v1.34.4", "cni": map[string]any{"name": "flannel", "backend": "vxlan", "datapath": "vxlan"}}
	lab := runrecordtest.Build(runrecordtest.Options{Variants: []string{"datapath=routed", "datapath=ipip"}, Scenarios: []string{"node-node"}, Protocols: []stats.Protocol{stats.TCP}, Repeats: 1})
	lab.Cluster.Name = "lab-x1, lab-x2"
	lab.Cluster.Details = []any{map[string]any{"variant": "datapath=routed", "details": map[string]any{"datapath": "routed"}},
		map[string]any{"variant": "datapath=ipip", "details": map[string]any{"datapath": "ipip"}}}
	tests := []struct {
		name    string
		run     *runrecord.Run
		variant string
		o       Options
		want    map[string]string
	}{
		{"kube", kube, "", Options{}, map[string]string{"cluster": "prod (https://api.prod.example:6443)", "cluster_kind": "kube", "kubernetes_version": "v1.34.4",
			"cni": "flannel", "datapath": "vxlan", "node_a": "node-1", "node_b": "node-2", "kernel": "6.1.0-28-amd64", "cnibench_version": "v0.1.0-test", "run_id": kube.ID}},
		{"lab variants", lab, "datapath=ipip", Options{}, map[string]string{"cluster": "lab", "cluster_kind": "lab", "cni": "", "datapath": "ipip", "kubernetes_version": ""}},
		{"fixture details without datapath", runrecordtest.Run(), "datapath=vxlan", Options{}, map[string]string{"datapath": "vxlan"}},
		{"override", kube, "", Options{Labels: map[string]string{"cluster": "prod-eu"}}, map[string]string{"cluster": "prod-eu", "cni": "flannel"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mfs, err := Gather(tt.run, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			byName := map[string]*dto.MetricFamily{}
			for _, mf := range mfs {
				byName[mf.GetName()] = mf
			}
			m, ok := find(byName, "cnibench_samples", map[string]string{"variant": tt.variant})
			if !ok {
				t.Fatal("no cnibench_samples series for the variant")
			}
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("label %s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
	if _, err := Gather(kube, Options{Labels: map[string]string{"team": "x"}}); err == nil || !strings.Contains(err.Error(), `label "team" cannot be set`) {
		t.Errorf("an unknown label: %v, want an error naming it", err)
	}
}

// TestDeployUsesTheseMetrics: the Grafana dashboard and the alert rules in
// deploy/ name only metrics the exporter writes.
func TestDeployUsesTheseMetrics(t *testing.T) {
	mfs, err := Gather(fullRun(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, mf := range mfs {
		exported[mf.GetName()] = true
	}
	for _, path := range []string{"../../deploy/grafana/cnibench-dashboard.json", "../../deploy/prometheus/cnibench-rules.yaml", "../../docs/metrics.md"} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		names := metricName.FindAllString(string(b), -1)
		if len(names) == 0 {
			t.Errorf("%s names no cnibench metric", path)
		}
		for _, n := range names {
			if !exported[n] && n != "cnibench_version" { // a label
				t.Errorf("%s uses %s, which cnibench does not export", path, n)
			}
		}
	}
}

var metricName = regexp.MustCompile(`\bcnibench_[a-z_]+[a-z]\b`)

// TestAlertRule checks the alert rule's syntax and behaviour with
// Prometheus's own promtool (deploy/prometheus/cnibench-rules.test.yaml).
func TestAlertRule(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		testenv.SkipOrFail(t, "promtool not installed (apt-get install prometheus)")
	}
	for _, args := range [][]string{{"check", "rules", "cnibench-rules.yaml"}, {"test", "rules", "cnibench-rules.test.yaml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "../../deploy/prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, out)
		}
	}
}

// fullRun is the fixture at cnibench's default of 6 repeats, the fewest
// with a 95% interval for the median, so every metric has samples.
// fullRun has every kind of figure: goodput of two variants, and latency
// (rr, crr and rr under load, one crr test failed).
func fullRun() *runrecord.Run {
	r := runrecordtest.Build(runrecordtest.Options{Repeats: 6})
	runrecordtest.AddLatency(r, runrecordtest.LatencyOptions{Tests: []string{"rr", "crr", "rr-load"}, Fail: "pod-clusterip", Variant: "datapath=vxlan"})
	return r
}
