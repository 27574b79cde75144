package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runrecord"
)

// watchingCluster is the healing fake cluster with a watch: at its
// tellAt-th client it tells loss. When the loss is of the client's own
// endpoints and gone, it tells it from a goroutine of its own, as a
// cluster's watch does, and the client runs until it is cut short; Recover then finds
// the endpoint lost and brings it back.
type watchingCluster struct {
	*healingCluster
	tellAt int
	loss   cluster.Loss

	mu     sync.Mutex
	n      int
	onLoss func(cluster.Loss)
}

func (w *watchingCluster) OnLoss(f func(cluster.Loss)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.onLoss = f
}

func (w *watchingCluster) RunClient(ctx context.Context, from cluster.Endpoint, to cluster.Target, spec engine.Spec) (*engine.Result, error) {
	w.mu.Lock()
	w.n++
	tell, f := w.n == w.tellAt, w.onLoss
	w.mu.Unlock()
	if !tell || f == nil {
		return w.healingCluster.RunClient(ctx, from, to, spec)
	}
	mine := w.loss.Endpoint == from.Name || w.loss.Endpoint == to.Backend.Name
	if !w.loss.Gone || !mine {
		f(w.loss) // before the client ends, so before the next check
		return w.healingCluster.RunClient(ctx, from, to, spec)
	}
	w.healingCluster.mu.Lock()
	w.healingCluster.lost[w.loss.Endpoint] = true
	w.healingCluster.mu.Unlock()
	go f(w.loss)
	<-ctx.Done() // the server is gone: without the cut the test would wait out its timeout
	return nil, fmt.Errorf("exec: %w", context.Cause(ctx))
}

// TestWatchedLossCutsTheTestShort: a loss the cluster's watch tells is
// told at once; a test against an endpoint whose process is gone is cut
// short, kept as a retried try that names the loss, and run again; the
// fault records when the watch saw it. A loss that needed nothing, or of
// an endpoint no later test used, is recorded too.
func TestWatchedLossCutsTheTestShort(t *testing.T) {
	plan := Plan{Repeats: 1, Scenarios: []string{"node-node", "pod-pod-cross", "pod-clusterip"}, Order: Sequential}
	deleted := cluster.Loss{Endpoint: "pod-2a", Node: "node-2", Why: "pod pod-2a was deleted", Gone: true}
	for _, tc := range []struct {
		name     string
		loss     cluster.Loss
		cut      bool   // the running test is cut short and run again
		recovery string // of the loss's fault
	}{
		{"gone: cut short", deleted, true, "recreated"},
		{"not Ready: not cut", cluster.Loss{Endpoint: "pod-2a", Node: "node-2", Why: "pod pod-2a is not Ready: node node-2 is NotReady"}, false, "none needed: it served again when checked"},
		{"another endpoint", cluster.Loss{Endpoint: "pod-2b", Node: "node-2", Why: "pod pod-2b was deleted", Gone: true}, false, "none: no later test used it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &healingCluster{fakeCluster: &fakeCluster{nodes: 2, podsPerNode: 2}, lost: map[string]bool{}}
			w := &watchingCluster{healingCluster: h, tellAt: 2, loss: tc.loss} // the 2nd test: pod-pod-cross
			ev := &notes{}
			run, err := RunVariants(context.Background(), []Variant{{Cluster: w}}, plan, Options{Events: ev})
			if err != nil {
				t.Fatal(err)
			}
			var retried []runrecord.Sample
			for _, s := range run.Samples {
				if s.Retried {
					retried = append(retried, s)
				}
			}
			switch {
			case tc.cut && (len(retried) != 1 || retried[0].Scenario != "pod-pod-cross" ||
				retried[0].Error != "cut short: pod-2a on node-2 lost (pod pod-2a was deleted)"):
				t.Errorf("retried tries %+v; want pod-pod-cross cut short by pod-2a's loss", retried)
			case !tc.cut && len(retried) != 0:
				t.Errorf("retried tries %+v; want none", retried)
			}
			if run.FailedSamples() != 0 || len(run.Samples)-len(retried) != 3 {
				t.Errorf("%d samples, %d failed: want the 3 tests measured", len(run.Samples), run.FailedSamples())
			}
			if len(run.Faults) != 1 {
				t.Fatalf("faults %+v; want the one loss", run.Faults)
			}
			f := run.Faults[0]
			if f.Endpoint != tc.loss.Endpoint || f.Why != tc.loss.Why || f.Recovery != tc.recovery || f.Seen == nil || f.Seen.After(f.At) {
				t.Errorf("fault %+v (seen %v); want %s's loss, seen before it was recorded, %q", f, f.Seen, tc.loss.Endpoint, tc.recovery)
			}
			told := fmt.Sprintf("fault seen: %s on node-2 lost ", tc.loss.Endpoint)
			if !hasPrefix(ev.seen, told) {
				t.Errorf("notes %q; want one starting %q", ev.seen, told)
			}
			for _, n := range ev.seen {
				if strings.HasPrefix(n, told) && strings.HasSuffix(n, "(the test running against it is cut short)") != tc.cut {
					t.Errorf("note %q: cut short %v", n, tc.cut)
				}
			}
		})
	}
}
