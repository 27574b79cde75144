package report

import (
	"bytes"
	"fmt"
	"testing"
	"time"

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
	run.Plan.Tests = []string{"throughput", "rr", "crr"}
	run.Plan.LatencyDuration = runrecord.Duration(500 * time.Millisecond)
	base := map[string]float64{"node-node": 40, "pod-pod-cross": 47, "pod-clusterip": 52}
	start := time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC)
	for r := 1; r <= 6; r++ {
		for _, sc := range []string{"node-node", "pod-pod-cross", "pod-clusterip"} {
			for _, test := range []string{"rr", "crr"} {
				p50 := base[sc] + float64(r%3)
				if test == "crr" {
					p50 *= 3
					if sc == "pod-clusterip" {
						p50 += 30
					}
				}
				s := runrecord.LatencySample{Scenario: sc, Test: test, Repeat: r, From: "pod-1a", To: "pod-2a", TargetKind: "direct",
					Start: start, End: start.Add(500 * time.Millisecond)}
				start = start.Add(time.Second)
				if sc == "pod-clusterip" && test == "crr" && r == 4 {
					s.Error = "crr test to 198.18.128.10:5201: connect: connection refused"
				} else {
					s.Result = &runrecord.LatencyResult{Spec: runrecord.LatencySpec{Mode: test, Duration: 500 * time.Millisecond, RequestSize: 1, ResponseSize: 1},
						Seconds: 0.5, Transactions: int64(5e5 / p50), TransactionsPerSecond: 1e6 / p50, MinUs: 0.8 * p50, P50Us: p50, P90Us: 1.3 * p50, P99Us: 2*p50 + float64(r), P999Us: 3*p50 + float64(r),
						Histogram: fmt.Sprintf("HISTFAKE%d", r)}
				}
				run.LatencySamples = append(run.LatencySamples, s)
			}
		}
	}
	run.Summarize(stats.Config{})
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
			golden(t, name, buf.Bytes())
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
