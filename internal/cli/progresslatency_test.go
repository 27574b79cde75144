package cli

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runrecord"
)

// TestPrinterLatency: a finished latency test shows its p50 and p99, a
// failed one its error, never a figure.
func TestPrinterLatency(t *testing.T) {
	clock := time.Date(2026, 1, 2, 10, 0, 5, 0, time.UTC)
	i := slices.IndexFunc(bench.Scenarios, func(s bench.Scenario) bool { return s.Name == "pod-clusterip" })
	test := bench.Test{Group: bench.Group{Scenario: bench.Scenarios[i], Latency: engine.CRR}, Repeat: 1, Repeats: 6}
	var out bytes.Buffer
	p := newPrinter(&out, false)
	p.now = func() time.Time { return clock }
	p.TestFinished(bench.Progress{Test: test, Index: 1, Total: 2, Elapsed: time.Second, Remaining: time.Second,
		Latency: &runrecord.LatencySample{Result: &runrecord.LatencyResult{P50Us: 164.8, P99Us: 12_080}}})
	p.TestFinished(bench.Progress{Test: test, Index: 2, Total: 2, Elapsed: 2 * time.Second,
		Latency: &runrecord.LatencySample{Error: "no crr transaction completed (3 errors, 0 lost)"}})
	p.Close()
	want := `10:00:05 [1/2] pod-clusterip crr #1/6: p50 165 µs, p99 12.1 ms (elapsed 0:01, ~0:01 left)
10:00:05 [2/2] pod-clusterip crr #1/6: FAILED: no crr transaction completed (3 errors, 0 lost) (elapsed 0:02, ~0:00 left)
`
	if out.String() != want {
		t.Errorf("progress:\n%s\nwant:\n%s", out.String(), want)
	}
}
