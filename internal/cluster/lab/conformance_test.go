package lab

import (
	"testing"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/cluster/clustertest"
)

// TestConformance runs the cluster contract on a real lab: namespaces,
// Services in nftables, engine servers and clients (needs root).
func TestConformance(t *testing.T) {
	clustertest.Run(t, func(t *testing.T) cluster.Cluster {
		return newLab(t, Config{Nodes: 2, PodsPerNode: 2, DualStack: true})
	}, clustertest.Options{Services: true})
}
