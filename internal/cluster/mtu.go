package cluster

import (
	"fmt"
	"strings"
)

// MTUSlack is how far below node MTU − header tax a pod MTU may be before
// it is worth a warning (small packets cost throughput, no correctness).
const MTUSlack = 100

// MTUWarning says what is wrong with a pod MTU of podMTU on a node whose
// MTU is nodeMTU when pod traffic crosses nodes over datapath, which adds
// headerTax bytes to each packet, and how to fix it by setting setting
// (e.g. "flannel's MTU", "--pod-mtu") to node MTU − header tax. It returns
// "" when the pod MTU fits or too little is known (an MTU ≤ 0, an
// "unknown" datapath). node names where the mismatch is.
func MTUWarning(node string, podMTU, nodeMTU int, datapath Datapath, headerTax int, setting string) string {
	if podMTU <= 0 || nodeMTU <= 0 || !datapath.Known() {
		return ""
	}
	want := nodeMTU - headerTax
	how := fmt.Sprintf("node MTU %d − %s %d", nodeMTU, strings.ToUpper(string(datapath)), headerTax)
	if headerTax == 0 {
		how = fmt.Sprintf("node MTU %d, %s: no encapsulation", nodeMTU, datapath)
	}
	switch {
	case podMTU > want:
		return fmt.Sprintf("MTU mismatch on %s: pod MTU %d > %d (%s): large packets fragment or are dropped (an MTU blackhole); set %s to %d (%s)",
			node, podMTU, want, how, setting, want, how)
	case podMTU < want-MTUSlack:
		return fmt.Sprintf("MTU mismatch on %s: pod MTU %d is %d below %d (%s): small packets cost throughput; set %s to %d (%s)",
			node, podMTU, want-podMTU, want, how, setting, want, how)
	}
	return ""
}
