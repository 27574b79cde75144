package runrecordtest

import (
	"time"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// UDPMax is a small run with udp-max searches at 64 bytes and the path's
// MTU: node-node's and pod-pod-cross's, one of them sender-limited, one
// failed.
func UDPMax() *runrecord.Run {
	r := Build(Options{Variants: []string{"datapath=vxlan"}, Scenarios: []string{"node-node", "pod-pod-cross"}, Protocols: []stats.Protocol{stats.TCP}, Repeats: 3})
	r.Plan.Tests = []string{"throughput", "udp-max"}
	r.Plan.UDPMaxSizes, r.Plan.LossThreshold, r.Plan.UDPMaxTrial = []int{64, 0}, 0.001, runrecord.Duration(time.Second)
	jitter := 0.012
	trials := func(rates ...float64) []runrecord.UDPMaxTrial {
		var ts []runrecord.UDPMaxTrial
		for i, bps := range rates {
			ts = append(ts, runrecord.UDPMaxTrial{OfferedBps: bps, SentBps: bps, ReceivedBps: bps, Packets: int64(bps / 512), Passed: i > 0})
		}
		return ts
	}
	r.UDPMax = []runrecord.UDPMax{
		{Variant: "datapath=vxlan", Scenario: "node-node", Size: 64, Found: true, RateBps: 96e6, PacketsPerSecond: 187500, JitterMs: &jitter, Converged: true, Trials: trials(11e9, 96e6)},
		{Variant: "datapath=vxlan", Scenario: "node-node", Size: 1472, PathMTU: true, Found: true, RateBps: 9.52e9, PacketsPerSecond: 808424, JitterMs: &jitter, Converged: true, Trials: trials(11e9, 9.52e9)},
		{Variant: "datapath=vxlan", Scenario: "pod-pod-cross", Size: 64, Found: true, RateBps: 72e6, PacketsPerSecond: 140625, JitterMs: &jitter, Converged: true, SenderLimited: true, Trials: trials(11e9, 72e6)},
		{Variant: "datapath=vxlan", Scenario: "pod-pod-cross", Size: 1422, PathMTU: true, Trials: trials(11e9), Error: "rate search trial at 5.5e+09 bit/s: connect: connection refused"},
	}
	r.Summarize(stats.Config{})
	return r
}
