package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// ErrInterrupted is returned (wrapping the context's error) with the
// partial run when the context ends before the plan does.
var ErrInterrupted = errors.New("run interrupted")

// Variant is one cluster the matrix runs on.
type Variant struct {
	Label string // e.g. "datapath=vxlan"; "" when the run has a single, unnamed variant
	// Cluster is a cluster the caller owns (and closes); or
	Cluster cluster.Cluster
	// Open builds the cluster when its turn comes; the runner closes it
	// when the variant's tests are done, or interrupted.
	Open func(ctx context.Context) (cluster.Cluster, error)
	// Knobs are the variant's own message size or MSS (SweepVariants).
	Knobs Knobs
	// Share names a cluster several variants run on: the first of them
	// opens it, and it is closed after the last ("": its own cluster).
	Share string
}

// Options are a run's settings besides the plan.
type Options struct {
	ID          string   // the run ID; "" = none recorded
	CommandLine []string // recorded as is
	Events      Events   // nil = no progress
	Stats       stats.Config
	Now         func() time.Time // nil = time.Now (tests set a clock)
	// Resume is the record of a killed run to finish (resume.go): its
	// plan must be this one; its samples are kept and not measured again.
	Resume *runrecord.Run
	// PlanFile is the run's settings as a plan file holds them, embedded
	// in the record (runrecord.Run.PlanFile); nil = none.
	PlanFile map[string]any
}

// Run measures the plan on one cluster, which the caller owns: it is
// neither built nor closed here. See RunVariants.
func Run(ctx context.Context, c cluster.Cluster, p Plan, ev Events) (*runrecord.Run, error) {
	p = p.WithDefaults()
	if len(p.Variants) != 1 {
		return nil, fmt.Errorf("bench.Run measures one cluster, the plan has %d variants: use RunVariants", len(p.Variants))
	}
	return RunVariants(ctx, []Variant{{Label: p.Variants[0], Cluster: c}}, p, Options{Events: ev})
}

// RunVariants measures the plan on each variant in turn: it opens the
// variant's cluster, starts one server per server endpoint, exposes
// Services for the Service scenarios, runs every test one at a time and
// records it (a failed test is recorded with its error and the run goes
// on), then stops the servers and closes the cluster. The plan's Variants
// are taken from vs.
//
// When ctx ends, the running test stops, servers and cluster are cleaned
// up and the partial run is returned, marked incomplete, with an error
// wrapping ErrInterrupted. Other errors (a node of --nodes the cluster
// lacks, a scenario it cannot run) also return what was measured so far.
func RunVariants(ctx context.Context, vs []Variant, p Plan, o Options) (*runrecord.Run, error) {
	p = p.WithVariants(vs).WithDefaults()
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	if len(vs) == 0 {
		return nil, errors.New("no cluster to measure")
	}
	r := &runner{plan: p, opts: o, ev: o.Events, now: o.Now}
	if r.ev == nil {
		r.ev = NoEvents{}
	}
	r.ev = &serialEvents{ev: r.ev} // a cluster's watch tells its losses from its own goroutine
	if r.now == nil {
		r.now = time.Now
	}
	r.total = len(p.Tests())
	r.start = r.now()
	r.rec = runrecord.New(o.CommandLine, runrecord.ClusterInfo{}, p.Record(), r.start)
	r.rec.ID = o.ID
	r.rec.PlanFile = o.PlanFile
	if o.Resume != nil {
		if err := r.resume(o.Resume); err != nil {
			return nil, err
		}
	}
	for _, w := range p.Warnings() {
		r.ev.Note(w)
	}
	var err error
	r.vs, r.shared = vs, map[string]cluster.Cluster{}
	for i, v := range vs {
		if err = r.variant(ctx, i, v); err != nil {
			break
		}
	}
	for share := range r.shared { // the run stopped before their last variant
		r.closeShared(share, share)
	}
	r.rec.End = r.now()
	r.rec.Complete = err == nil
	r.endResume()
	r.rec.Summarize(o.Stats)
	addPathNotes(r.rec)
	return r.rec, err
}

// runner is one run in progress.
type runner struct {
	plan  Plan
	opts  Options
	ev    Events
	now   func() time.Time
	rec   *runrecord.Run
	infos []variantInfo
	vs    []Variant
	// shared are the open clusters of variants that share one (Variant.Share).
	shared map[string]cluster.Cluster

	resumed *resumeState                  // set when continuing a record (resume.go)
	lost    map[string]*cluster.LostError // by variant and node: nodes lost for good (faults.go)
	watch   lossWatch                     // what a watching cluster saw lost (watch.go)

	start  time.Time
	total  int           // tests planned (adopt takes off those a cluster cannot run)
	done   int           // tests started so far
	testsT time.Duration // wall time of the finished tests
	tested int           // finished tests
}

// variantInfo is one variant's cluster facts, recorded in Cluster.Details
// when the run has several variants.
type variantInfo struct {
	Variant string `json:"variant"`
	Name    string `json:"name"`
	Details any    `json:"details,omitempty"`
}

// interrupted wraps ctx's error.
func interrupted(ctx context.Context) error {
	return fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(ctx))
}

func (r *runner) variant(ctx context.Context, i int, v Variant) error {
	tests := r.pending(r.plan.variantTests(v.Label))
	if err := ctx.Err(); err != nil {
		return interrupted(ctx)
	}
	if len(tests) == 0 && (!r.plan.udpMax() || r.hasUDPMax(v.Label, runrecord.BaselineScenario)) {
		return nil // resumed: every test of this variant has its sample
	}
	c := v.Cluster
	if c == nil {
		c = r.shared[v.Share]
	}
	if c == nil {
		if v.Open == nil {
			return fmt.Errorf("variant %q has no cluster", v.Label)
		}
		r.ev.Note(fmt.Sprintf("building %s", labelOr(v.Label, "the cluster")))
		var err error
		c, err = v.Open(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return interrupted(ctx)
			}
			r.failAll(tests, fmt.Errorf("open cluster: %w", err))
			return nil
		}
		if v.Share == "" {
			defer r.closeCluster(c, v.Label)
		} else {
			r.shared[v.Share] = c
		}
	}
	if v.Share != "" && v.Cluster == nil && r.lastOfShare(i, v.Share) {
		defer r.closeShared(v.Share, v.Label)
	}
	stopWatch := r.watchLosses(c, v.Label)
	defer func() {
		stopWatch()
		r.recordSeen(v.Label, "none: no later test used it")
	}()
	r.recordInfo(ctx, i, v.Label, c)
	if err := r.sameCluster(); err != nil {
		return err
	}
	pr, err := r.pairOn(ctx, c)
	if err != nil {
		return err
	}
	s, err := setUp(ctx, c, pr, r.plan, v.Label)
	defer s.stop(r.ev)
	if err != nil {
		if ctx.Err() != nil {
			return interrupted(ctx)
		}
		return err
	}
	for _, t := range r.adopt(s, tests) {
		if err := r.runTest(ctx, c, t, s.bound[t.Scenario.Name]); err != nil {
			return err
		}
	}
	if r.plan.udpMax() {
		return r.runUDPMax(ctx, c, s, v.Label)
	}
	return nil
}

// pairOn finds the plan's node pair on c. The first variant's choice
// is kept in the plan and the record, so every later variant measures
// between nodes of the same names.
func (r *runner) pairOn(ctx context.Context, c cluster.Cluster) (pair, error) {
	eps, err := c.Endpoints(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return pair{}, interrupted(ctx)
		}
		return pair{}, fmt.Errorf("list endpoints: %w", err)
	}
	pr, err := choosePair(eps, r.plan.Nodes)
	if err != nil {
		return pair{}, err
	}
	if len(r.plan.Nodes) == 0 {
		r.plan.Nodes = []string{pr.a.Name, pr.b.Name}
		r.rec.Plan.Nodes = slices.Clone(r.plan.Nodes)
	}
	return pr, nil
}

// adopt records what a variant's setup made, and tells it: the paths,
// the skipped scenarios, the servers. It returns the variant's tests that
// can run, and takes the others off the run's total.
func (r *runner) adopt(s *setup, tests []Test) []Test {
	r.rec.Paths = append(r.rec.Paths, s.paths...)
	for _, sk := range s.skipped {
		r.ev.Note(fmt.Sprintf("skipping %s: %v", sk.scenario.Name, sk.why))
	}
	for _, n := range s.notes {
		r.ev.Note(n)
	}
	if names := s.serverNames(); len(names) > 0 {
		r.ev.Note("servers on " + strings.Join(names, ", "))
	}
	runnable := slices.DeleteFunc(slices.Clone(tests), func(t Test) bool {
		_, ok := s.bound[t.Scenario.Name]
		return !ok
	})
	r.total -= len(tests) - len(runnable)
	return runnable
}

func labelOr(label, def string) string {
	if label == "" {
		return def
	}
	return label
}

// closeCluster closes c even when the run's context has ended.
func (r *runner) closeCluster(c cluster.Cluster, label string) {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		r.ev.Note(fmt.Sprintf("close %s: %v", labelOr(label, "the cluster"), err))
	}
}

// lastOfShare reports whether variant i is the last to run on its shared cluster.
func (r *runner) lastOfShare(i int, share string) bool {
	for _, v := range r.vs[i+1:] {
		if v.Share == share {
			return false
		}
	}
	return true
}

// closeShared closes a shared cluster, if open, and forgets it.
func (r *runner) closeShared(share, label string) {
	if c, ok := r.shared[share]; ok {
		delete(r.shared, share)
		r.closeCluster(c, label)
	}
}

// cleanupTimeout bounds stopping servers and closing a cluster after the
// run's context has ended.
const cleanupTimeout = 30 * time.Second

// recordInfo records the cluster's facts: the first variant's, every
// variant's name and details when there are several, and every variant's
// one-line facts and warnings (the warnings also announced as notes).
func (r *runner) recordInfo(ctx context.Context, i int, label string, c cluster.Cluster) {
	info, err := c.Info(ctx)
	if err != nil {
		r.ev.Note(fmt.Sprintf("cluster info: %v", err))
	}
	if i == 0 {
		r.rec.Cluster = recordCluster(info)
		r.rec.Cluster.Facts, r.rec.Cluster.Warnings = nil, nil // kept below, labelled
	}
	r.rec.Cluster.Facts, _ = r.keepLines(r.rec.Cluster.Facts, label, info.Facts)
	var added []string
	r.rec.Cluster.Warnings, added = r.keepLines(r.rec.Cluster.Warnings, label, info.Warnings)
	for _, w := range added {
		r.ev.Note("warning: " + w)
	}
	r.infos = append(r.infos, variantInfo{Variant: label, Name: info.Name, Details: info.Details})
	if len(r.plan.Variants) > 1 {
		r.rec.Cluster.Details = slices.Clone(r.infos)
		var names []string
		for _, vi := range r.infos {
			if !slices.Contains(names, vi.Name) { // variants that share a cluster name it once
				names = append(names, vi.Name)
			}
		}
		r.rec.Cluster.Name = strings.Join(names, ", ")
	}
}

// keepLines appends to kept each of a variant's lines not kept yet, named
// after the variant when the run has several, and returns them too.
func (r *runner) keepLines(kept []string, label string, lines []string) (all, added []string) {
	for _, l := range lines {
		if len(r.plan.Variants) > 1 {
			l = label + ": " + l
		}
		if !slices.Contains(kept, l) {
			kept = append(kept, l)
			added = append(added, l)
		}
	}
	return kept, added
}

// failAll records every test as failed with err (the variant could not
// be measured at all), so the run goes on with the next variant.
func (r *runner) failAll(tests []Test, err error) {
	r.ev.Note(fmt.Sprintf("%s: every test fails: %v", labelOr(tests[0].Variant, "cluster"), err))
	for _, t := range tests {
		r.done++
		at := r.now()
		if t.Latency != "" {
			r.failLatency(t, at, err)
			continue
		}
		s := r.sample(t, bound{}, at)
		s.End, s.Error = at, err.Error()
		r.rec.Samples = append(r.rec.Samples, s)
		r.ev.TestFinished(r.progress(t, &s))
	}
}

func (r *runner) sample(t Test, b bound, start time.Time) runrecord.Sample {
	return runrecord.Sample{
		Variant: t.Variant, Scenario: t.Scenario.Name, Protocol: stats.Protocol(t.Protocol), Streams: t.Streams, Repeat: t.Repeat, Round: t.Round,
		From: b.from.Name, To: b.target.Backend.Name, TargetKind: runrecord.TargetKind(t.Scenario.Target), Start: start, Attempt: r.attempt(),
	}
}

// tryThroughput runs one try of a throughput test; the sample is
// recorded when the caller knows whether it is run again.
func (r *runner) tryThroughput(ctx context.Context, c cluster.Cluster, t Test, b bound, retry int) (tried, error) {
	r.done++
	started := r.progress(t, nil)
	r.ev.TestStarted(started)
	start := r.now()
	s := r.sample(t, b, start)
	s.Retry = retry
	if b.err != nil {
		s.End, s.Error = start, b.err.Error()
	} else {
		tctx, cancel := context.WithTimeout(ctx, r.plan.Duration+r.plan.Omit+testGrace)
		// The live rate: the engine calls the hook from its own goroutine
		// while RunClient runs; live keeps those calls one at a time and
		// drops any that comes after RunClient returned.
		var mu sync.Mutex
		live := true
		tctx = engine.WithIntervalHook(tctx, func(iv engine.Interval) {
			mu.Lock()
			defer mu.Unlock()
			if live {
				r.ev.TestInterval(started, iv)
			}
		})
		cpu := startNodeCPU(ctx, c, b)
		res, err := c.RunClient(tctx, b.from, b.target, r.plan.Spec(t.Group))
		cancel()
		if err == nil && res != nil {
			s.NodeCPU = cpu.stop(ctx, res)
		}
		mu.Lock()
		live = false
		mu.Unlock()
		end, failure, ok := r.ended(ctx, start, err, res != nil)
		if !ok {
			return tried{}, interrupted(ctx)
		}
		s.End, s.Error = end, failure
		if failure == "" {
			s.Result = recordResult(res)
		}
	}
	return tried{failed: s.Failed(), record: func(retried bool, cause string) {
		s.Retried, s.Error = retried, withCause(s.Error, cause)
		r.rec.Samples = append(r.rec.Samples, s)
		r.ev.TestFinished(r.progress(t, &r.rec.Samples[len(r.rec.Samples)-1]))
	}}, nil
}

// ended closes a test that began at start, throughput or latency: its
// end, and its failure from the client's error or missing result ("" when
// it has a result), or the loss that cut it short. ok is false when the
// run was interrupted meanwhile: the interrupted test is not a sample,
// and counts in no timing.
func (r *runner) ended(ctx context.Context, start time.Time, err error, gotResult bool) (end time.Time, failure string, ok bool) {
	end = r.now()
	switch cut := cutBy(ctx); {
	case cut != nil && (err != nil || !gotResult): // a result that came first stands
		err, gotResult = cut, false
	case cut == nil && ctx.Err() != nil:
		return end, "", false
	}
	r.testsT += end.Sub(start)
	r.tested++
	switch {
	case err != nil:
		return end, err.Error(), true
	case !gotResult:
		return end, "the cluster returned no result", true
	}
	return end, "", true
}

// testGrace is how long a test may take beyond its duration and omit
// (connect, handshake, results exchange) before it is abandoned as failed.
const testGrace = 45 * time.Second

func (r *runner) progress(t Test, s *runrecord.Sample) Progress {
	per := r.plan.Duration + r.plan.Omit + perTestOverhead
	if r.tested > 0 {
		per = r.testsT / time.Duration(r.tested)
	}
	left := r.total - r.done
	if s == nil {
		left++ // the test starting now
	}
	return Progress{
		Test: t, Index: r.done, Total: r.total,
		Elapsed: r.now().Sub(r.start), Remaining: time.Duration(left) * per,
		Sample: s, Run: r.rec,
	}
}
