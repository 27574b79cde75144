package lab

import (
	"context"
	"fmt"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/nodecpu"
)

var _ cluster.CPUSampler = (*Lab)(nil)

// NodeCPU reads this host's /proc/stat: every lab node is a namespace of
// this one machine, so a node's CPU is the whole machine's and both nodes
// of a test read the same counters (Info's facts say so).
func (l *Lab) NodeCPU(ctx context.Context, node string) (nodecpu.Times, error) {
	for _, n := range l.nodes {
		if NodeName(n.idx) == node {
			return nodecpu.Read()
		}
	}
	return nodecpu.Times{}, fmt.Errorf("lab %s has no node %q", l.cfg.ID, node)
}

// cpuFact tells the reader what the lab's node CPU figures measure.
const cpuFact = "node CPU is this host's /proc/stat: the lab's nodes share one machine, so each node's CPU per Gbit is the whole machine's"
