package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
)

// lossWatch follows what a watching cluster (cluster.Watcher) sees lost
// while a variant runs: it tells each loss at once, cuts short the test
// running against an endpoint whose process is gone, and keeps each loss
// until the record has it (with the fault Recover reports, or alone).
type lossWatch struct {
	mu      sync.Mutex
	running []string                // endpoints of the test running now
	cut     context.CancelCauseFunc // of the test running now
	seen    []seenLoss              // told, not yet in the record
}

// seenLoss is a loss as the watch told it.
type seenLoss struct {
	at      time.Time
	variant string
	cluster.Loss
}

// cutShort is why a test was cut short: an endpoint of it was lost.
type cutShort struct{ seenLoss }

func (e *cutShort) Error() string {
	return fmt.Sprintf("cut short: %s lost (%s)", who(e.Endpoint, e.Node), e.Why)
}

func who(endpoint, node string) string {
	if node == "" || node == endpoint {
		return endpoint
	}
	return endpoint + " on " + node
}

// watchLosses has c, when it watches its endpoints, tell the run of each
// loss of variant's; the returned function stops it.
func (r *runner) watchLosses(c cluster.Cluster, variant string) func() {
	wc, ok := c.(cluster.Watcher)
	if !ok {
		return func() {}
	}
	wc.OnLoss(func(l cluster.Loss) { r.lossSeen(variant, l) })
	return func() { wc.OnLoss(nil) }
}

// lossSeen tells l at once, with how far into the run it was seen, and
// cuts short the running test when it uses l's endpoint and that is gone.
func (r *runner) lossSeen(variant string, l cluster.Loss) {
	s := seenLoss{at: r.now(), variant: variant, Loss: l}
	w := &r.watch
	w.mu.Lock()
	w.seen = append(w.seen, s)
	cut := l.Gone && w.cut != nil && slices.Contains(w.running, l.Endpoint)
	if cut {
		w.cut(&cutShort{s})
	}
	w.mu.Unlock()
	msg := fmt.Sprintf("fault seen: %s%s lost %.1f s into the run: %s", labelPrefix(variant), who(l.Endpoint, l.Node), s.at.Sub(r.start).Seconds(), l.Why)
	if cut {
		msg += " (the test running against it is cut short)"
	}
	r.ev.Note(msg)
}

// guard is ctx for a test between eps, cut short (cause *cutShort) when
// the watch sees one of them gone; stop ends the guard.
func (r *runner) guard(ctx context.Context, eps ...cluster.Endpoint) (gctx context.Context, stop func()) {
	gctx, cancel := context.WithCancelCause(ctx)
	w := &r.watch
	w.mu.Lock()
	w.running, w.cut = nil, cancel
	for _, e := range eps {
		w.running = append(w.running, e.Name)
	}
	w.mu.Unlock()
	return gctx, func() {
		w.mu.Lock()
		w.running, w.cut = nil, nil
		w.mu.Unlock()
		cancel(nil)
	}
}

// cutBy is the loss that cut short the test of ctx, or nil.
func cutBy(ctx context.Context) *cutShort {
	var cut *cutShort
	if errors.As(context.Cause(ctx), &cut) {
		return cut
	}
	return nil
}

// takeSeen removes the losses the watch told of endpoint in variant and
// returns when it saw the first, or nil ("" endpoint: the cluster's own
// faults are not watched).
func (r *runner) takeSeen(variant, endpoint string) *time.Time {
	w := &r.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	var first *time.Time
	w.seen = slices.DeleteFunc(w.seen, func(s seenLoss) bool {
		mine := endpoint != "" && s.variant == variant && s.Endpoint == endpoint
		if mine && first == nil {
			first = &s.at
		}
		return mine
	})
	return first
}

// recordSeen records the losses of variant told but not recorded with a
// fault: of eps after a Recover that found them serving again, or of any
// endpoint (eps nil) when the variant ends.
func (r *runner) recordSeen(variant, recovery string, eps ...cluster.Endpoint) {
	w := &r.watch
	w.mu.Lock()
	var left []seenLoss
	w.seen = slices.DeleteFunc(w.seen, func(s seenLoss) bool {
		mine := s.variant == variant && (eps == nil || slices.ContainsFunc(eps, func(e cluster.Endpoint) bool { return e.Name == s.Endpoint }))
		if mine {
			left = append(left, s)
		}
		return mine
	})
	w.mu.Unlock()
	for _, s := range left {
		r.keepFault(variant, cluster.Fault{Endpoint: s.Endpoint, Node: s.Node, Why: s.Why, Recovery: recovery}, &s.at)
	}
}

// serialEvents makes the calls of the runner's goroutine and those of a
// cluster's watch one at a time, as Events promises.
type serialEvents struct {
	mu sync.Mutex
	ev Events
}

func (s *serialEvents) Note(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ev.Note(msg)
}

func (s *serialEvents) TestStarted(p Progress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ev.TestStarted(p)
}

func (s *serialEvents) TestInterval(p Progress, iv engine.Interval) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ev.TestInterval(p, iv)
}

func (s *serialEvents) TestFinished(p Progress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ev.TestFinished(p)
}
