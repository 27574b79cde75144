package runrecordtest

import (
	"time"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// UDPMax is a small run with udp-max searches at 64 bytes and the path's
// MTU: node-node's and pod-pod-cross's, one of them sender-limited, one
// failed. The first trial of each is unbounded (offered 0).
func UDPMax() *runrecord.Run {
	r := Build(Options{Variants: []string{"datapath=vxlan"}, Scenarios: []string{"node-node", "pod-pod-cross"}, Protocols: []stats.Protocol{stats.TCP}, Repeats: 3})
	r.Plan.Tests = []string{"throughput", "udp-max"}
	r.Plan.UDPMaxSizes, r.Plan.LossThreshold, r.Plan.UDPMaxTrial = []int{64, 0}, 0.001, runrecord.Duration(time.Second)
	jitter := 0.012
	trials := func(rates ...float64) []runrecord.UDPMaxTrial {
		var ts []runrecord.UDPMaxTrial
		for i, bps := range rates {
			t := runrecord.UDPMaxTrial{OfferedBps: bps, SentBps: bps, ReceivedBps: bps, Packets: int64(bps / 512), Passed: i > 0}
			if i == 0 {
				t.OfferedBps, t.SentBps, t.ReceivedBps, t.Loss, t.SenderLimited = 0, 11e9, bps, 1-bps/11e9, true
			}
			ts = append(ts, t)
		}
		return ts
	}
	r.UDPMax = []runrecord.UDPMax{
		{Variant: "datapath=vxlan", Scenario: "node-node", Size: 64, Found: true, RateBps: 96e6, PacketsPerSecond: 187500, JitterMs: &jitter, Converged: true, Trials: trials(96e6, 96e6)},
		{Variant: "datapath=vxlan", Scenario: "node-node", Size: 1472, PathMTU: true, Found: true, RateBps: 9.52e9, PacketsPerSecond: 808424, JitterMs: &jitter, Converged: true, Trials: trials(9.52e9, 9.52e9)},
		{Variant: "datapath=vxlan", Scenario: "pod-pod-cross", Size: 64, Found: true, RateBps: 72e6, PacketsPerSecond: 140625, JitterMs: &jitter, Converged: true, SenderLimited: true, SenderBps: 72e6,
			Trials: []runrecord.UDPMaxTrial{{SentBps: 72e6, ReceivedBps: 72e6, Packets: 140625, Passed: true, SenderLimited: true}}},
		{Variant: "datapath=vxlan", Scenario: "pod-pod-cross", Size: 1422, PathMTU: true, Trials: trials(7e9), Error: "rate search trial at 5.5e+09 bit/s: connect: connection refused"},
	}
	r.Summarize(stats.Config{})
	return r
}
