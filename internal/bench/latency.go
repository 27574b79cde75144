package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runrecord"
)

// Kinds of test a plan runs on each scenario (Plan.Tests).
const (
	Throughput = runrecord.TestThroughput
	RR         = runrecord.TestRR
	CRR        = runrecord.TestCRR
	UDPRR      = runrecord.TestUDPRR
)

// AllTests are the kinds of test, in table order.
var AllTests = []string{Throughput, RR, CRR, UDPRR, RRLoad, UDPMax}

// DefaultLatencyDuration is each latency test's length: long enough for
// thousands of transactions on any path a cluster has (a p99 from tens of
// tail values), short enough that rr beside throughput adds about half the
// throughput tests' time to the default run.
const DefaultLatencyDuration = 500 * time.Millisecond

// MaxLatencyDuration bounds one latency test.
const MaxLatencyDuration = time.Minute

// latencyTests are the plan's latency modes, in the plan's order.
func (p Plan) latencyTests() []engine.LatencyMode {
	var modes []engine.LatencyMode
	for _, t := range p.Kinds {
		if t != Throughput && t != UDPMax {
			modes = append(modes, engine.LatencyMode(t))
		}
	}
	return modes
}

// throughput says whether the plan runs throughput tests: it does when it
// names no tests (every plan did before latency tests).
func (p Plan) throughput() bool { return len(p.Kinds) == 0 || slices.Contains(p.Kinds, Throughput) }

// validateTests explains what is wrong with the plan's tests.
func (p Plan) validateTests() []error {
	var errs []error
	seen := map[string]bool{}
	for _, t := range p.Kinds {
		switch {
		case !slices.Contains(AllTests, t):
			errs = append(errs, fmt.Errorf("unknown test %q: use throughput, rr, crr, udp-rr, rr-load or udp-max", t))
		case seen[t]:
			errs = append(errs, fmt.Errorf("test %q is listed twice", t))
		}
		seen[t] = true
	}
	if p.Kinds != nil && len(p.Kinds) == 0 {
		errs = append(errs, fmt.Errorf("no tests: name at least one of throughput, rr, crr, udp-rr, rr-load, udp-max"))
	}
	if d := p.LatencyDuration; d < 0 || d > MaxLatencyDuration || (d > 0 && d < 10*time.Millisecond) {
		errs = append(errs, fmt.Errorf("latency duration %v: use 10ms..%v", d, MaxLatencyDuration))
	}
	return errs
}

// LatencySpec is the engine spec of one of the plan's latency tests:
// closed loop, 1-byte requests and responses (udp-rr: the smallest
// datagram), for LatencyDuration.
func (p Plan) LatencySpec(g Group) engine.LatencySpec {
	d := p.LatencyDuration
	if d == 0 {
		d = DefaultLatencyDuration
	}
	mode := g.Latency
	if mode == RRLoad {
		mode = engine.RR
	}
	return engine.LatencySpec{Mode: mode, Duration: d, ConnectTimeout: connectTimeout}
}

// latencyGroups are a scenario's latency groups on one variant.
func (p Plan) latencyGroups(variant string, sc Scenario) []Group {
	var gs []Group
	for _, m := range p.latencyTests() {
		gs = append(gs, Group{Variant: variant, Scenario: sc, Latency: m})
	}
	return gs
}

// tryLatency runs one try of a latency test, like tryThroughput. A test
// that failed, or completed no transaction, has its error and no figure.
func (r *runner) tryLatency(ctx context.Context, c cluster.Cluster, t Test, b bound, retry int) (tried, error) {
	r.done++
	r.ev.TestStarted(r.progress(t, nil))
	start := r.now()
	s := r.latencySample(t, b, start)
	s.Retry = retry
	if b.err != nil {
		s.End, s.Error = start, b.err.Error()
	} else {
		spec := r.plan.LatencySpec(t.Group)
		tctx, cancel := context.WithTimeout(ctx, spec.Duration+testGrace)
		var res *engine.LatencyResult
		var err error
		if t.Latency == RRLoad {
			res, err = underLoad(tctx, c, b, spec)
		} else {
			res, err = c.RunLatency(tctx, b.from, b.target, spec)
		}
		cancel()
		end, failure, ok := r.ended(ctx, start, err, res != nil)
		if !ok {
			return tried{}, interrupted(ctx)
		}
		s.End, s.Error = end, failure
		switch {
		case failure != "":
		case res.Transactions == 0:
			s.Error = fmt.Sprintf("no %s transaction completed (%d errors, %d lost)", t.Latency, res.Errors, res.Lost)
		default:
			s.Result = recordLatency(res)
		}
	}
	return tried{failed: s.Failed(), record: func(retried bool, cause string) {
		s.Retried, s.Error = retried, withCause(s.Error, cause)
		r.rec.LatencySamples = append(r.rec.LatencySamples, s)
		r.ev.TestFinished(r.latencyProgress(t, &r.rec.LatencySamples[len(r.rec.LatencySamples)-1]))
	}}, nil
}

func (r *runner) latencySample(t Test, b bound, start time.Time) runrecord.LatencySample {
	return runrecord.LatencySample{
		Variant: t.Variant, Scenario: t.Scenario.Name, Test: string(t.Latency), Repeat: t.Repeat,
		From: b.from.Name, To: b.target.Backend.Name, TargetKind: runrecord.TargetKind(t.Scenario.Target), Start: start, Attempt: r.attempt(),
	}
}

// latencyProgress is the progress of a finished latency test.
func (r *runner) latencyProgress(t Test, s *runrecord.LatencySample) Progress {
	p := r.progress(t, &runrecord.Sample{}) // finished: not counted as left
	p.Sample, p.Latency = nil, s
	return p
}

// failLatency records a latency test as failed with err.
func (r *runner) failLatency(t Test, at time.Time, err error) {
	s := r.latencySample(t, bound{}, at)
	s.End, s.Error = at, err.Error()
	r.rec.LatencySamples = append(r.rec.LatencySamples, s)
	r.ev.TestFinished(r.latencyProgress(t, &r.rec.LatencySamples[len(r.rec.LatencySamples)-1]))
}

// recordKinds keeps the plan's kinds of test in the record, when it names
// them (a record without them is throughput only).
func (p Plan) recordKinds(rp *runrecord.Plan) {
	if p.Kinds == nil {
		return
	}
	rp.Tests = slices.Clone(p.Kinds)
	if len(p.latencyTests()) > 0 {
		rp.LatencyDuration = runrecord.Duration(p.LatencySpec(Group{}).Duration)
	}
}

// kindsLine tells --dry-run the plan's kinds of test when it has latency
// tests; "" for throughput only.
func (p Plan) kindsLine() string {
	if p.udpMax() {
		return fmt.Sprintf("tests on every scenario: %s; udp-max: a loss-free rate search per variant, scenario and datagram size (%s), trials of %v, loss up to %g%%",
			strings.Join(p.Kinds, ", "), udpMaxSizesText(p.udpMaxSizes()), cmpOr(p.UDPMaxTrial, DefaultUDPMaxTrial), 100*p.lossThreshold())
	}
	if len(p.latencyTests()) == 0 {
		return ""
	}
	return fmt.Sprintf("tests on every scenario: %s; each latency test %v, closed loop, 1-byte request and response (udp-rr: %d bytes)",
		strings.Join(p.Kinds, ", "), p.LatencySpec(Group{}).Duration, engine.MinUDPRRSize)
}
