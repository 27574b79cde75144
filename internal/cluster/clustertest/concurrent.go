package clustertest

import (
	"context"
	"sync"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
)

// checkDisjoint: two tests on disjoint endpoints run at once (a mesh's
// round), each with its own result: pod on the first node to the pod
// server on the second, and the second node's host network to a server
// on the first node's. Under -race it finds shared state the backend
// does not guard.
func checkDisjoint(t *testing.T, ctx context.Context, c cluster.Cluster, eps []cluster.Endpoint, from cluster.Endpoint, to cluster.Target, spec engine.Spec) {
	host := func(node string) (cluster.Endpoint, bool) {
		for _, e := range eps {
			if e.Kind == cluster.NodeEndpoint && e.Node == node {
				return e, true
			}
		}
		return cluster.Endpoint{}, false
	}
	hostFrom, ok1 := host(to.Backend.Node)
	hostTo, ok2 := host(from.Node)
	if !ok1 || !ok2 {
		t.Skip("no node endpoints on the two nodes")
	}
	srv, err := c.StartServer(ctx, hostTo, 0)
	if err != nil {
		t.Fatalf("StartServer on %s: %v", hostTo.Name, err)
	}
	defer func() {
		if err := srv.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	}()
	var wg sync.WaitGroup
	for _, tc := range []struct {
		from cluster.Endpoint
		to   cluster.Target
	}{{from, to}, {hostFrom, srv.Target()}} {
		wg.Go(func() {
			res, err := c.RunClient(ctx, tc.from, tc.to, spec)
			if err != nil || res == nil {
				t.Errorf("RunClient %s → %s beside another test: %v, %v", tc.from.Name, tc.to.Addr, res, err)
			}
		})
	}
	wg.Wait()
}
