package runrecordtest

import (
	"fmt"
	"time"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// LatencyOptions shape the latency tests AddLatency adds to a run.
type LatencyOptions struct {
	Tests   []string // e.g. rr, crr; nil = rr
	Repeats int      // 0 = 6
	// Factor multiplies every latency (a slower run); 0 = 1.
	Factor float64
	// Scenarios multiplies the latency of the scenarios it names besides
	// Factor (a change on some paths only).
	Scenarios map[string]float64
	// Variant labels every latency test (a run of one variant: "").
	Variant string
	// Fail is the scenario whose crr test of repeat 4 fails; "" = none.
	Fail string
}

// latencyBase is a scenario's made-up rr p50 in µs; crr is 3× it, and
// the Service's crr another 30 µs.
var latencyBase = map[string]float64{"node-node": 40, "node-node-same": 26, "pod-node": 44, "node-pod": 45, "pod-pod-cross": 47, "pod-pod-same": 30, "pod-clusterip": 52, "pod-nodeport": 55}

// AddLatency adds latency tests of every scenario of r's plan, round by
// round, records them in the plan and summarises r again.
func AddLatency(r *runrecord.Run, o LatencyOptions) {
	if o.Tests == nil {
		o.Tests = []string{"rr"}
	}
	if o.Repeats == 0 {
		o.Repeats = 6
	}
	if o.Factor == 0 {
		o.Factor = 1
	}
	r.Plan.Tests = append([]string{"throughput"}, o.Tests...)
	r.Plan.LatencyDuration = runrecord.Duration(500 * time.Millisecond)
	start := r.Start
	for rep := 1; rep <= o.Repeats; rep++ {
		for _, sc := range r.Plan.Scenarios {
			for _, test := range o.Tests {
				p50 := latencyBase[sc] + float64(rep%3)
				if test == "crr" {
					p50 *= 3
					if sc == "pod-clusterip" {
						p50 += 30
					}
				}
				p50 *= o.Factor
				if f, ok := o.Scenarios[sc]; ok {
					p50 *= f
				}
				s := runrecord.LatencySample{Variant: o.Variant, Scenario: sc, Test: test, Repeat: rep, From: "pod-1a", To: "pod-2a", TargetKind: "direct",
					Start: start, End: start.Add(500 * time.Millisecond)}
				start = start.Add(time.Second)
				if sc == o.Fail && test == "crr" && rep == 4 {
					s.Error = "crr test to 198.18.128.10:5201: connect: connection refused"
				} else {
					s.Result = &runrecord.LatencyResult{Spec: runrecord.LatencySpec{Mode: test, Duration: 500 * time.Millisecond, RequestSize: 1, ResponseSize: 1},
						Seconds: 0.5, Transactions: int64(5e5 / p50), TransactionsPerSecond: 1e6 / p50,
						MinUs: 0.8 * p50, P50Us: p50, P90Us: 1.3 * p50, P99Us: 2*p50 + float64(rep), P999Us: 3*p50 + float64(rep),
						Histogram: fmt.Sprintf("HISTFAKE%d", rep)}
				}
				r.LatencySamples = append(r.LatencySamples, s)
			}
		}
	}
	r.Summarize(stats.Config{})
}
