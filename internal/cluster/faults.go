package cluster

import (
	"context"
	"fmt"
)

// Fault is an endpoint lost during a run and what the cluster did about
// it: a pod deleted, evicted, OOM-killed or restarted, or its node not
// Ready; or the cluster's API away for a while.
type Fault struct {
	Endpoint string `json:"endpoint,omitempty"` // "" when the fault is the cluster's, not an endpoint's
	Node     string `json:"node,omitempty"`
	Why      string `json:"why"`      // e.g. "pod pod-2a was deleted"
	Recovery string `json:"recovery"` // e.g. "recreated on node-2, Ready after 3.1s, address 198.18.2.9"
}

func (f Fault) String() string {
	who := f.Endpoint
	if f.Node != "" && f.Node != f.Endpoint {
		who += " on " + f.Node
	}
	if who == "" {
		return f.Why + ": " + f.Recovery
	}
	return fmt.Sprintf("%s lost (%s): %s", who, f.Why, f.Recovery)
}

// Recoverer is a cluster that notices endpoints lost mid-run and brings
// them back. The lab has no such faults and does not implement it.
type Recoverer interface {
	// Recover checks the endpoints a test is about to use, or just failed
	// with, and brings back any that was lost: it returns what it found and
	// did (none when all were well). A *LostError means an endpoint cannot
	// come back (its node is gone): the tests on that node cannot run. Any
	// other error means the cluster cannot be reached at all: the run
	// stops.
	Recover(ctx context.Context, eps ...Endpoint) ([]Fault, error)
}

// LostError is an endpoint that was lost and cannot be brought back,
// because its node is gone or stays not Ready.
type LostError struct {
	Endpoint string
	Node     string
	Why      string
}

func (e *LostError) Error() string {
	return fmt.Sprintf("%s on %s was lost and cannot come back: %s", e.Endpoint, e.Node, e.Why)
}

// Loss is an endpoint that a cluster's watch saw lost, told the moment it
// saw it (Recover then finds it and brings it back).
type Loss struct {
	Endpoint string
	Node     string
	Why      string // e.g. "pod pod-2a was deleted"
	// Gone is true when the endpoint's process is gone (its pod deleted,
	// evicted, OOM-killed or restarted): a test using it cannot finish.
	// False when it may still serve (its node NotReady).
	Gone bool
}

// Watcher is a cluster that watches its endpoints while a run goes on, so
// a loss is told when it happens rather than at the next Recover.
type Watcher interface {
	// OnLoss sets the function called with each loss seen from now on,
	// from the watch's own goroutine, one call at a time (it must return
	// quickly); nil stops the calls.
	OnLoss(func(Loss))
}
