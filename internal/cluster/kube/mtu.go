package kube

import "github.com/cnibench/cnibench/internal/cluster"

// cniName is whose MTU setting an MTU warning names: "flannel's", or
// "the CNI's" when the CNI is not known.
func cniName(cni CNI) string {
	if cni.Name == "" || cni.Name == "unknown" {
		return "the CNI's"
	}
	return cni.Name + "'s"
}

// mtuWarnings compares, on each measured node, its first pod's MTU with
// the node's MTU less the CNI's header tax (cluster.MTUWarning), and
// returns what is off, for the run to note and record.
func mtuWarnings(cni CNI, nodes []NodeFacts) []string {
	var out []string
	for _, n := range nodes {
		if w := cluster.MTUWarning(n.Name, n.PodMTU, n.MTU, cni.Datapath, cni.HeaderTax, cniName(cni)+" MTU"); w != "" {
			out = append(out, w)
		}
	}
	return out
}
