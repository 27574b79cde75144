package runrecordtest

import (
	"github.com/cnibench/cnibench/internal/runrecord"
)

// cpuPerGbit is a datapath's busy CPU-seconds per Gbit on each node in
// the fixture: encapsulation and bridging cost the kernel more per packet.
var cpuPerGbit = map[string]float64{"host": 0.10, "routed": 0.105, "vxlan": 0.145, "bridge": 0.12}

// nodeCPU fakes the node CPU of a test of m with result res: both nodes
// of a 2-CPU lab, softirq about half of the busy time. Its spread comes
// from start, not from the rng, so that adding it left every other figure
// of the fixtures as it was.
func (m model) nodeCPU(res *runrecord.Result) *runrecord.NodeCPU {
	window := res.End.Sub(res.Start).Seconds()
	var omitted uint64
	for _, iv := range res.Intervals {
		if iv.Sum.Omitted {
			omitted += iv.Sum.Bytes
		}
	}
	sent, received := 8*float64(res.SumSent.Bytes+omitted), 8*float64(res.SumReceived.Bytes+omitted)
	perGbit := cpuPerGbit[m.path.Datapath]
	if m.target != runrecord.DirectTarget {
		perGbit *= 1.08 // the Service's NAT
	}
	perGbit *= 1 + float64(res.Start.UnixMilli()%5-2)/200
	out := &runrecord.NodeCPU{WindowSeconds: window, BitsSent: sent, BitsReceived: received}
	for _, n := range []struct {
		role, node, side string
		bits, share      float64
	}{
		{runrecord.RoleClient, nodeOf(m.from), runrecord.SideSender, sent, 0.45},
		{runrecord.RoleServer, nodeOf(m.to), runrecord.SideReceiver, received, 0.55},
	} {
		busy := perGbit * n.bits / 1e9 * n.share * 2
		u := runrecord.NodeCPUUse{Role: n.role, Node: n.node, Side: n.side, CPUs: 2,
			User: busy * 0.1, System: busy * 0.4, SoftIRQ: busy * 0.5, Idle: max(2*window-busy, 0)}
		u.Busy = busy / (busy + u.Idle)
		pg, soft := busy/(n.bits/1e9), busy*0.5/(n.bits/1e9)
		u.PerGbit, u.SoftIRQPerGbit = &pg, &soft
		out.Nodes = append(out.Nodes, u)
	}
	return out
}

// nodeOf is the node of a fixture endpoint: node-1, pod-1a → node-1.
func nodeOf(ep string) string {
	if len(ep) >= 5 && ep[:4] == "pod-" {
		return "node-" + ep[4:5]
	}
	return ep
}
