package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runrecord"
)

// healingCluster is the fake cluster with faults: the endpoint named by
// loseAt loses its pod when the loseAt.n-th client starts (that client
// fails, as do later ones, until Recover brings it back); a node in gone
// cannot be brought back.
type healingCluster struct {
	*fakeCluster
	faultPlan
	inner cluster.Cluster // runs the clients that do not fail (nil: the fake cluster)

	mu      sync.Mutex
	clients int
	lost    map[string]bool
}

// faultPlan is what goes wrong on a healingCluster.
type faultPlan struct {
	loseName   string // endpoint lost at the loseAtN-th client
	loseAtN    int
	stayLost   bool   // Recover finds it but it fails again each time
	gone       string // node whose endpoints Recover cannot bring back
	recoverErr error  // Recover fails with it
}

func (h *healingCluster) RunClient(ctx context.Context, from cluster.Endpoint, to cluster.Target, spec engine.Spec) (*engine.Result, error) {
	h.mu.Lock()
	h.clients++
	if h.clients == h.loseAtN {
		h.lost[h.loseName] = true
	}
	down := h.lost[from.Name] || h.lost[to.Backend.Name]
	h.mu.Unlock()
	if down {
		return nil, fmt.Errorf("connect to %s: connection refused", to.Addr)
	}
	if h.inner != nil {
		return h.inner.RunClient(ctx, from, to, spec)
	}
	return h.fakeCluster.RunClient(ctx, from, to, spec)
}

func (h *healingCluster) Recover(ctx context.Context, eps ...cluster.Endpoint) ([]cluster.Fault, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.recoverErr != nil && len(h.lost) > 0 {
		return nil, h.recoverErr
	}
	var fs []cluster.Fault
	for _, e := range eps {
		if !h.lost[e.Name] {
			continue
		}
		if e.Node == h.gone {
			return fs, &cluster.LostError{Endpoint: e.Name, Node: e.Node, Why: "pod " + e.Name + " was deleted; node " + e.Node + " is gone"}
		}
		if !h.stayLost {
			delete(h.lost, e.Name)
		}
		fs = append(fs, cluster.Fault{Endpoint: e.Name, Node: e.Node, Why: "pod " + e.Name + " was deleted", Recovery: "recreated"})
	}
	return fs, nil
}

type notes struct {
	NoEvents
	mu   sync.Mutex
	seen []string
}

func (n *notes) Note(msg string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.seen = append(n.seen, msg)
}

func TestFaultsAreRecoveredAndRetried(t *testing.T) {
	plan := Plan{Repeats: 1, Scenarios: []string{"node-node", "pod-pod-cross", "pod-clusterip"}, Order: Sequential}
	for _, tc := range []struct {
		name        string
		fp          faultPlan
		stopErr     string // RunVariants's error
		retried     int    // samples marked retried
		failed      int    // failed samples that count
		faults      int
		errContains string // of the failed samples that count
	}{
		{name: "pod lost mid-run, recreated", fp: faultPlan{loseName: "pod-2a", loseAtN: 2}, retried: 1, faults: 1},
		{name: "recovered but failing again", fp: faultPlan{loseName: "pod-2a", loseAtN: 2, stayLost: true},
			retried: 4, failed: 2, faults: 9, errContains: "connection refused"},
		{name: "node gone", fp: faultPlan{loseName: "pod-2a", loseAtN: 2, gone: "node-2"},
			failed: 2, faults: 1, errContains: "pod-2a on node-2 was lost and cannot come back: pod pod-2a was deleted; node node-2 is gone"},
		{name: "cluster unreachable", fp: faultPlan{loseName: "pod-2a", loseAtN: 2, recoverErr: errors.New("the API server has not answered for 1m0s")},
			stopErr: "the API server has not answered", failed: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &healingCluster{fakeCluster: &fakeCluster{nodes: 2, podsPerNode: 2}, faultPlan: tc.fp, lost: map[string]bool{}}
			ev := &notes{}
			run, err := RunVariants(context.Background(), []Variant{{Cluster: h}}, plan, Options{Events: ev})
			if tc.stopErr == "" && err != nil || tc.stopErr != "" && (err == nil || !strings.Contains(err.Error(), tc.stopErr)) {
				t.Fatalf("err %v, want %q", err, tc.stopErr)
			}
			retried, failed := 0, 0
			tries := map[string][]runrecord.Sample{}
			for _, s := range run.Samples {
				tries[s.Scenario] = append(tries[s.Scenario], s)
				if s.Retried {
					retried++
					if !s.Failed() {
						t.Errorf("retried sample %+v has a result", s)
					}
				} else if s.Failed() {
					failed++
					if !strings.Contains(s.Error, tc.errContains) {
						t.Errorf("failed sample %s: %q, want %q", s.Scenario, s.Error, tc.errContains)
					}
				}
			}
			if retried != tc.retried || failed != tc.failed || run.FailedSamples() != tc.failed || len(run.Faults) != tc.faults {
				t.Errorf("%d retried, %d failed (FailedSamples %d), %d faults; want %d, %d, %d\n%+v",
					retried, failed, run.FailedSamples(), len(run.Faults), tc.retried, tc.failed, tc.faults, run.Samples)
			}
			for sc, ss := range tries { // each try numbered, the retried ones first, never replaced
				for i, s := range ss {
					if s.Retry != i || s.Retried != (i < len(ss)-1) {
						t.Errorf("%s try %d: retry %d, retried %v", sc, i, s.Retry, s.Retried)
					}
				}
			}
			for _, f := range run.Faults {
				if f.Endpoint != "pod-2a" || f.Node != "node-2" || !strings.Contains(f.Why, "deleted") || f.Recovery == "" || f.At.IsZero() {
					t.Errorf("fault %+v", f)
				}
			}
			if tc.faults > 0 && !hasPrefix(ev.seen, "fault: pod-2a on node-2 lost (pod pod-2a was deleted") {
				t.Errorf("notes %q tell no fault", ev.seen)
			}
			for _, s := range run.Summaries {
				if tc.failed == 0 && (s.Failed != 0 || s.N != 1) {
					t.Errorf("summary %s: %d failed, n %d: a retried try is not the group's failure", s.Key, s.Failed, s.N)
				}
			}
		})
	}
}

func hasPrefix(ss []string, prefix string) bool {
	for _, s := range ss {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}
