package report

import (
	"slices"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// TestFaultRowsRetried: a retried try belongs to the first fault of its
// variant recorded when or after it ended; a try not retried, or of
// another variant, belongs to none.
func TestFaultRowsRetried(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	sample := func(variant, scenario string, end int, retried bool) runrecord.Sample {
		return runrecord.Sample{Variant: variant, Scenario: scenario, Protocol: stats.TCP, Streams: 1, Repeat: 1, End: at(end), Retried: retried}
	}
	run := &runrecord.Run{
		Start: t0,
		Samples: []runrecord.Sample{
			sample("a", "before-first", 5, true),
			sample("a", "at-first", 10, true),
			sample("a", "not-retried", 11, false),
			sample("a", "before-second", 15, true),
			sample("b", "other-variant", 5, true),
			sample("a", "after-last", 40, true),
		},
		LatencySamples: []runrecord.LatencySample{{Variant: "a", Scenario: "lat", Test: "rr", Repeat: 2, End: at(12), Retried: true}},
		UDPMax: []runrecord.UDPMax{
			{Variant: "a", Scenario: "search", Size: 1400, End: at(18), Retried: true},
			{Variant: "a", Scenario: "search", Size: 1400, End: at(25), Retry: 1},
		},
		Faults: []runrecord.Fault{
			{At: at(10), Variant: "a", Endpoint: "pod-2a", Node: "node-2", Why: "deleted", Recovery: "recreated"},
			{At: at(20), Variant: "a", Why: "stream broke", Recovery: "back"},
			{At: at(30), Variant: "c", Endpoint: "pod-1a", Node: "node-1", Why: "evicted", Recovery: "recreated"},
		},
	}
	rows := faultRows(run)
	for i, want := range []faultRow{
		{When: "10:00:10 (+10s)", Variant: "a", Pod: "pod-2a", Node: "node-2", Why: "deleted", Done: "recreated",
			Retried: []string{"before-first tcp ×1 #1", "at-first tcp ×1 #1"}},
		{When: "10:00:20 (+20s)", Variant: "a", Pod: "the API server", Node: "-", Why: "stream broke", Done: "back",
			Retried: []string{"before-second tcp ×1 #1", "lat rr #2", "search udp-max 1400 B"}},
		{When: "10:00:30 (+30s)", Variant: "c", Pod: "pod-1a", Node: "node-1", Why: "evicted", Done: "recreated"},
	} {
		if g := rows[i]; g.When != want.When || g.Variant != want.Variant || g.Pod != want.Pod || g.Node != want.Node ||
			g.Why != want.Why || g.Done != want.Done || !slices.Equal(g.Retried, want.Retried) {
			t.Errorf("fault %d: %+v, want %+v", i, g, want)
		}
	}
	if got := rows[2].retriedText(); got != "none" {
		t.Errorf("a fault that failed no try says %q, want none", got)
	}
}
