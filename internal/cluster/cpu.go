package cluster

import (
	"context"

	"github.com/cnibench/cnibench/internal/nodecpu"
)

// CPUSampler is what a cluster implements when it can read its nodes'
// CPU time (/proc/stat, node-wide: every process and the kernel's softirq
// work of the datapath). A run reads each measured node before and after
// every throughput test and charges the difference to the bits moved.
// It is an optional interface beside Cluster, so a backend without it
// still runs, only without node CPU figures.
type CPUSampler interface {
	// NodeCPU reads the CPU times of node, a node endpoint's Node. It
	// must be cheap against a test (a file read, one exec) and may run
	// while a client runs. An unknown node is an error.
	NodeCPU(ctx context.Context, node string) (nodecpu.Times, error)
}
