package kube

import (
	"context"

	"github.com/cnibench/cnibench/internal/cluster"
)

// cniName is whose MTU setting an MTU warning names: "flannel's", or
// "the CNI's" when the CNI is not known.
func cniName(cni CNI) string {
	if cni.Name == "" || cni.Name == "unknown" {
		return "the CNI's"
	}
	return cni.Name + "'s"
}

// mtuWarnings compares, on each node of the pair, its first pod's MTU
// with the node's MTU less the CNI's header tax (cluster.MTUWarning), and
// returns what is off, for the run to note and record.
func (c *Cluster) mtuWarnings(ctx context.Context, cni CNI, nodeMTU map[string]int) []string {
	var out []string
	for _, name := range c.choice.Nodes {
		for _, ep := range c.eps {
			if ep.Kind != cluster.PodEndpoint || ep.Node != name {
				continue
			}
			ifs, err := c.netInfo(ctx, ep)
			if err != nil {
				break
			}
			if w := cluster.MTUWarning(name, mtuOf(ifs, ep.Addrs[0]), nodeMTU[name], cni.Datapath, cni.HeaderTax, cniName(cni)+" MTU"); w != "" {
				out = append(out, w)
			}
			break
		}
	}
	return out
}
