package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/cluster/clustertest"
	"github.com/cnibench/cnibench/internal/engine"
)

// RunLatency of the fake: a made-up result whose latency grows with what
// the path crosses (a pod end +5 µs, a Service +10 µs, another node
// +20 µs; crr costs 3× rr; a client running at the same time, 2×), after
// the fake's duration (the latency test's own, when shorter). Like
// RunClient, it fails against failTarget and stops when ctx ends.
func (f *fakeCluster) RunLatency(ctx context.Context, from cluster.Endpoint, to cluster.Target, spec engine.LatencySpec) (*engine.LatencyResult, error) {
	loaded := f.running.Add(1) > 1
	if loaded {
		f.overlap.Store(true)
	}
	defer f.running.Add(-1)
	f.log("latency %s %s %s %s", from.Name, to.Kind, to.Addr, spec.Mode)
	if f.run != nil {
		if err := f.run(ctx, from); err != nil {
			return nil, err
		}
	}
	wait := f.duration
	if spec.Duration > 0 && spec.Duration < wait {
		wait = spec.Duration
	}
	select {
	case <-time.After(wait):
	case <-ctx.Done():
		return nil, fmt.Errorf("%s test interrupted: %w", spec.Mode, ctx.Err())
	}
	if to.Kind == f.failTarget {
		return nil, fmt.Errorf("connect to %s: connection refused", to.Addr)
	}
	d := 30 * time.Microsecond
	if from.Kind == cluster.PodEndpoint || to.Backend.Kind == cluster.PodEndpoint {
		d += 5 * time.Microsecond
	}
	if to.Kind != cluster.DirectTarget {
		d += 10 * time.Microsecond
	}
	if from.Node != to.Backend.Node {
		d += 20 * time.Microsecond
	}
	if spec.Mode == engine.CRR {
		d *= 3
	}
	if loaded {
		d *= 2
	}
	return clustertest.FakeLatency(spec, d, 1000)
}
