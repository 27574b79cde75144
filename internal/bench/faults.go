package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/runrecord"
)

// maxRetries bounds how often one test is run again after a fault the
// cluster recovered from (a pod recreated, the API server back).
const maxRetries = 2

// tried is one try of a test, measured but not yet recorded: record
// appends its sample, marked retried when it is run again, and with the
// fault that failed it when there is one to name.
type tried struct {
	failed bool
	record func(retried bool, cause string)
}

// withCause is a failed try's error with the fault that caused it.
func withCause(err, cause string) string {
	if cause == "" {
		return err
	}
	return err + " (" + cause + ")"
}

// runTest runs one test and records it; it returns an error only when the
// run must stop (see retrying).
func (r *runner) runTest(ctx context.Context, c cluster.Cluster, t Test, b bound) error {
	try := r.tryThroughput
	if t.Latency != "" {
		try = r.tryLatency
	}
	return r.retrying(ctx, c, t.Variant, t.Scenario.Name, b, true, func(ctx context.Context, b bound, retry int) (tried, error) {
		return try(ctx, c, t, b, retry)
	})
}

// retrying runs try (a test or a udp-max search between b's endpoints) and
// has it record what it measured. On a cluster that recovers from faults
// (cluster.Recoverer) the endpoints are checked before it, and after it
// fails: when a fault explains the failure and was recovered from, the
// failed try is kept, marked retried, and try runs again, at most
// maxRetries times. A node lost for good fails its tries without running
// them. While try runs, the watch cuts it short when it sees one of the
// endpoints gone. counted: a try again is one more test in the progress
// total.
func (r *runner) retrying(ctx context.Context, c cluster.Cluster, variant, name string, b bound, counted bool,
	try func(ctx context.Context, b bound, retry int) (tried, error)) error {
	for retry := 0; ; retry++ {
		if ctx.Err() != nil {
			return interrupted(ctx)
		}
		if _, err := r.heal(ctx, c, variant, b); err != nil {
			return err
		}
		if lost := r.lostOf(variant, b); lost != nil && b.err == nil {
			b.err = fmt.Errorf("not run: %w", lost)
		}
		gctx, stop := r.guard(ctx, b.from, b.target.Backend) // cut short when the watch sees one gone
		res, err := try(gctx, b, retry)
		stop()
		if err != nil {
			return err
		}
		again, cause := false, ""
		if res.failed && b.err == nil && retry < maxRetries {
			if again, err = r.heal(ctx, c, variant, b); err != nil {
				res.record(false, "")
				return err
			}
			if lost := r.lostOf(variant, b); lost != nil {
				cause = lost.Error()
			}
		}
		res.record(again, cause)
		if !again {
			return nil
		}
		if counted {
			r.total++ // the try again is one more test
		}
		r.ev.Note(fmt.Sprintf("running %s again (retry %d of at most %d)", name, retry+1, maxRetries))
	}
}

// heal asks a Recoverer cluster to check and bring back b's endpoints,
// and records and tells each fault it found; it reports whether it
// recovered from any. A node lost for good is kept (lostOf) and is not
// an error; a cluster that cannot be reached is.
func (r *runner) heal(ctx context.Context, c cluster.Cluster, variant string, b bound) (bool, error) {
	rc, ok := c.(cluster.Recoverer)
	if !ok || b.err != nil || r.lostOf(variant, b) != nil {
		return false, nil
	}
	faults, err := rc.Recover(ctx, b.from, b.target.Backend)
	for _, f := range faults {
		r.recordFault(variant, f)
	}
	var lost *cluster.LostError
	switch {
	case ctx.Err() != nil:
		return false, interrupted(ctx)
	case errors.As(err, &lost):
		r.recordFault(variant, cluster.Fault{Endpoint: lost.Endpoint, Node: lost.Node, Why: lost.Why,
			Recovery: fmt.Sprintf("cannot be recreated: the tests on %s are not run", lost.Node)})
		if r.lost == nil {
			r.lost = map[string]*cluster.LostError{}
		}
		r.lost[variant+"\x00"+lost.Node] = lost
		return false, nil
	case err != nil:
		return false, fmt.Errorf("recover the test's endpoints: %w", err)
	}
	r.recordSeen(variant, "none needed: it served again when checked", b.from, b.target.Backend)
	return len(faults) > 0, nil
}

// lostOf is the loss of a node of b's, in variant, if one is lost.
func (r *runner) lostOf(variant string, b bound) *cluster.LostError {
	for _, n := range []string{b.from.Node, b.target.Backend.Node} {
		if l := r.lost[variant+"\x00"+n]; l != nil {
			return l
		}
	}
	return nil
}

// recordFault keeps f in the record, with when the watch saw it if it
// did, and tells it.
func (r *runner) recordFault(variant string, f cluster.Fault) {
	r.keepFault(variant, f, r.takeSeen(variant, f.Endpoint))
}

func (r *runner) keepFault(variant string, f cluster.Fault, seen *time.Time) {
	r.rec.Faults = append(r.rec.Faults, runrecord.Fault{At: r.now(), Seen: seen, Variant: variant, Endpoint: f.Endpoint, Node: f.Node, Why: f.Why, Recovery: f.Recovery})
	r.ev.Note("fault: " + labelPrefix(variant) + f.String())
}

func labelPrefix(variant string) string {
	if variant == "" {
		return ""
	}
	return variant + ": "
}
