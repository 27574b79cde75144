package bench

import (
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/cluster/clustertest"
)

// TestFakeClusterConformance: the fake this package's tests run on keeps
// the contract of a real cluster, so what they show holds on one.
func TestFakeClusterConformance(t *testing.T) {
	for _, tc := range []struct {
		name     string
		services bool
	}{{"with Services", true}, {"without Services", false}} {
		t.Run(tc.name, func(t *testing.T) {
			clustertest.Run(t, func(t *testing.T) cluster.Cluster {
				return &fakeCluster{nodes: 3, podsPerNode: 2, noServices: !tc.services, external: tc.services, duration: time.Second}
			}, clustertest.Options{Services: tc.services, CancelAfter: 200 * time.Millisecond})
		})
	}
}
