package report

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/cnibench/cnibench/internal/golden"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/runrecord/runrecordtest"
	"github.com/cnibench/cnibench/internal/stats"
)

// latencyFixture is a small run with latency tests: rr and crr on the
// baseline and two scenarios, 6 repeats, one crr sample of the Service
// failed.
func latencyFixture() *runrecord.Run {
	run := runrecordtest.Build(runrecordtest.Options{
		Variants: []string{""}, Scenarios: []string{"node-node", "pod-pod-cross", "pod-clusterip"}, Protocols: []stats.Protocol{stats.TCP}, Repeats: 6,
	})
	runrecordtest.AddLatency(run, runrecordtest.LatencyOptions{Tests: []string{"rr", "crr"}, Fail: "pod-clusterip"})
	return run
}

func TestLatencyGolden(t *testing.T) {
	run := latencyFixture()
	for _, f := range []Format{Table, Markdown, CSV, HTML} {
		name := "latency." + ext[f]
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, run, f); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, goldenPkg, name, buf.Bytes())
		})
	}
}

func TestLogTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   string
	}{
		{24, 173, "[20 50 100 200]"},
		{1.5, 9, "[1 2 5 10]"},
		{100, 100, "[100]"},
		{880, 24887, "[500 1000 2000 5000 10000 20000 50000]"},
		{24, 24887, "[10 100 1000 10000 100000]"},
	} {
		if got := fmt.Sprint(logTicks(tc.lo, tc.hi)); got != tc.want {
			t.Errorf("logTicks(%v, %v) = %s, want %s", tc.lo, tc.hi, got, tc.want)
		}
	}
}

func TestCompareLatency(t *testing.T) {
	build := func(factor float64, fail string) *runrecord.Run {
		run := runrecordtest.Build(runrecordtest.Options{
			Variants: []string{""}, Scenarios: []string{"node-node", "pod-pod-cross", "pod-clusterip"}, Protocols: []stats.Protocol{stats.TCP}, Repeats: 6,
		})
		runrecordtest.AddLatency(run, runrecordtest.LatencyOptions{Tests: []string{"rr", "crr"}, Factor: factor, Fail: fail})
		return run
	}
	broken := build(1, "")
	for i := range broken.LatencySamples {
		if s := &broken.LatencySamples[i]; s.Scenario == "pod-clusterip" && s.Test == "crr" {
			s.Result, s.Error = nil, "connection refused"
		}
	}
	for _, tc := range []struct {
		name    string
		old     []*runrecord.Run
		new     []*runrecord.Run
		pct     float64
		regress []string
	}{
		{"the same", []*runrecord.Run{build(1, "")}, []*runrecord.Run{build(1, "")}, 5, nil},
		{"30% slower, gate at 10%", []*runrecord.Run{build(1, "")}, []*runrecord.Run{build(1.3, "")}, 10, []string{
			"node-node rr p50", "node-node rr p99", "node-node crr p50", "node-node crr p99", "pod-pod-cross rr p50", "pod-pod-cross rr p99",
			"pod-pod-cross crr p50", "pod-pod-cross crr p99", "pod-clusterip rr p50", "pod-clusterip rr p99", "pod-clusterip crr p50", "pod-clusterip crr p99"}},
		{"30% slower, gate at 50%", []*runrecord.Run{build(1, "")}, []*runrecord.Run{build(1.3, "")}, 50, nil},
		{"faster", []*runrecord.Run{build(1.3, "")}, []*runrecord.Run{build(1, "")}, 0, nil},
		{"stopped working", []*runrecord.Run{build(1, "")}, []*runrecord.Run{broken}, 50, []string{"pod-clusterip crr p50", "pod-clusterip crr p99"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, c := range LatencyRegressions(CompareLatency(tc.old, tc.new, tc.pct, stats.Config{})) {
				got = append(got, c.Label())
				if !c.NewFailed && (c.Rise < 0.28 || c.Rise > 0.31) { // the fixture's p99 = 2 p50 + repeat
					t.Errorf("%s: rise %.3f, want 0.3", c.Label(), c.Rise)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.regress) {
				t.Errorf("regressions %v, want %v", got, tc.regress)
			}
		})
	}
}
