package runrecordtest

import (
	"strings"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// SweepVariants are a policy-rules sweep on the routed datapath.
var SweepVariants = []string{"datapath=routed,policy-rules=0", "datapath=routed,policy-rules=10", "datapath=routed,policy-rules=1000", "datapath=routed,policy-rules=10000"}

// Sweep is a run of node-node and pod-pod-cross over SweepVariants, TCP,
// 6 repeats: pod-pod-cross keeps its goodput up to 1000 rules and loses
// 40% at 10000 (a knee past 1000); node-node never changes.
func Sweep() *runrecord.Run {
	return Build(Options{
		Variants: SweepVariants, Scenarios: []string{"node-node", "pod-pod-cross"}, Protocols: []stats.Protocol{stats.TCP}, Repeats: 6, NodeCPU: true,
		Scale: func(variant, scenario string) float64 {
			if scenario == "pod-pod-cross" && strings.HasSuffix(variant, "=10000") {
				return 0.6
			}
			return 1
		},
	})
}
