package kube

import (
	"context"
	"fmt"
	"strings"

	"github.com/cnibench/cnibench/internal/cluster"
)

// mtuSlack is how far below node MTU − header tax a pod MTU may be before
// it is worth a warning (small packets cost throughput, no correctness).
const mtuSlack = 100

// mtuWarning says what is wrong with a pod MTU on a node of nodeMTU under
// cni, and the fix; "" when it fits or nothing is known.
func mtuWarning(node string, podMTU, nodeMTU int, cni CNI) string {
	if podMTU <= 0 || nodeMTU <= 0 || cni.Datapath == "unknown" || cni.Datapath == "" {
		return ""
	}
	want := nodeMTU - cni.HeaderTax
	how := fmt.Sprintf("node MTU %d − %s %d", nodeMTU, strings.ToUpper(cni.Datapath), cni.HeaderTax)
	if cni.HeaderTax == 0 {
		how = fmt.Sprintf("node MTU %d, %s: no encapsulation", nodeMTU, cni.Datapath)
	}
	switch {
	case podMTU > want:
		return fmt.Sprintf("MTU mismatch on %s: pod MTU %d > %d (%s): large packets fragment or are dropped (an MTU blackhole); set %s MTU to %d (%s)",
			node, podMTU, want, how, cniName(cni), want, how)
	case podMTU < want-mtuSlack:
		return fmt.Sprintf("MTU mismatch on %s: pod MTU %d is %d below %d (%s): small packets cost throughput; set %s MTU to %d (%s)",
			node, podMTU, want-podMTU, want, how, cniName(cni), want, how)
	}
	return ""
}

func cniName(cni CNI) string {
	if cni.Name == "" || cni.Name == "unknown" {
		return "the CNI's"
	}
	return cni.Name + "'s"
}

// mtuWarnings compares, on each node of the pair, its first pod's MTU
// with the node's MTU less the CNI's header tax, and logs what is off.
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
			if w := mtuWarning(name, mtuOf(ifs, ep.Addrs[0]), nodeMTU[name], cni); w != "" {
				c.cfg.Logger.Warn(w)
				out = append(out, w)
			}
			break
		}
	}
	return out
}
