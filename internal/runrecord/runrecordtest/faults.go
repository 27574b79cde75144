package runrecordtest

import (
	"slices"
	"time"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// Faults is a small kube run that lost a pod and its API server: pod-2a
// deleted during pod-pod-cross #2, seen by the run's watch, which cut
// that try short (kept, marked retried, and run again as retry 1), and an exec stream broken by the API server's restart
// that failed no test.
func Faults() *runrecord.Run {
	const variant = "datapath=vxlan"
	r := Build(Options{Variants: []string{variant}, Scenarios: []string{"node-node", "pod-pod-cross"}, Protocols: []stats.Protocol{stats.TCP}, Repeats: 3})
	r.Cluster.Kind, r.Cluster.Name, r.Cluster.Details = "kube", "kind-e2e", nil
	i := slices.IndexFunc(r.Samples, func(s runrecord.Sample) bool { return s.Scenario == "pod-pod-cross" && s.Repeat == 2 })
	lost := r.Samples[i]
	lost.Result, lost.Retried, lost.End = nil, true, lost.Start.Add(2*time.Second)
	lost.Error = "cut short: pod-2a on node-2 lost (pod pod-2a is being deleted)"
	seen := lost.End // the run's watch saw it, and cut the try short
	r.Samples[i].Retry = 1
	r.Samples = slices.Insert(r.Samples, i, lost)
	r.Faults = []runrecord.Fault{
		{At: lost.End.Add(4 * time.Second), Seen: &seen, Variant: variant, Endpoint: "pod-2a", Node: "node-2", Why: "pod pod-2a is being deleted",
			Recovery: "recreated on node-2, Ready after 3.1s, address 198.18.1.10"},
		{At: r.End.Add(-5 * time.Second), Variant: variant, Why: "the exec stream through the API server broke: unexpected EOF",
			Recovery: "the API server answers again (waited 12s)"},
	}
	r.Summarize(stats.Config{})
	return r
}
