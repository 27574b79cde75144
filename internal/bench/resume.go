package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/cnibench/cnibench/internal/runrecord"
)

// A resumed run (Options.Resume) continues the record of a run that was
// killed: the same plan, the tests that have a sample skipped, the rest
// measured and added as another attempt (runrecord.Attempt). A variant
// whose tests all have samples is not built again.

// testID names one test of a plan: a sample's identity in its record.
type testID struct {
	variant, scenario, protocol string
	streams, repeat             int
}

func idOfTest(t Test) testID {
	if t.Latency != "" {
		return idOfLatency(t.Variant, t.Scenario.Name, string(t.Latency), t.Repeat)
	}
	return testID{t.Variant, t.Scenario.Name, string(t.Protocol), t.Streams, t.Repeat}
}

// idOfLatency names a latency test: its kind stands where a protocol does.
func idOfLatency(variant, scenario, kind string, repeat int) testID {
	return testID{variant, scenario, "latency:" + kind, 0, repeat}
}

func idOfSample(s runrecord.Sample) testID {
	return testID{s.Variant, s.Scenario, string(s.Protocol), s.Streams, s.Repeat}
}

// resumeState is what the runner keeps of the record it continues.
type resumeState struct {
	attempt int             // this attempt's number
	have    map[testID]bool // tests the record has a sample of
	prior   runrecord.Run   // the record as read, for the cluster facts of variants not rebuilt
}

// ErrCannotResume is returned (wrapped, with the reason) when a record's
// plan cannot be finished by this run.
var ErrCannotResume = errors.New("cannot resume")

// resume makes r continue old: it checks that the plan is the one old
// holds, then takes over old's samples, paths and ID as the record.
func (r *runner) resume(old *runrecord.Run) error {
	if old.Complete {
		return fmt.Errorf("%w: the run is complete (%d tests), nothing is left to measure", ErrCannotResume, len(old.Samples)+len(old.LatencySamples))
	}
	if len(r.plan.Nodes) == 0 { // the pair the first attempt chose
		r.plan.Nodes = slices.Clone(old.Plan.Nodes)
		r.rec.Plan.Nodes = slices.Clone(old.Plan.Nodes)
	}
	want, err := json.Marshal(old.Plan)
	if err != nil {
		return err
	}
	got, err := json.Marshal(r.rec.Plan)
	if err != nil {
		return err
	}
	if string(want) != string(got) {
		return fmt.Errorf("%w: the recorded command line now plans %s, the record holds %s (a different cnibench version?)",
			ErrCannotResume, got, want)
	}
	st := &resumeState{have: map[testID]bool{}, prior: *old}
	for _, s := range old.Samples {
		st.have[idOfSample(s)] = st.have[idOfSample(s)] || !s.Retried // a retried try was to be measured again
	}
	for _, s := range old.LatencySamples {
		id := idOfLatency(s.Variant, s.Scenario, s.Test, s.Repeat)
		st.have[id] = st.have[id] || !s.Retried
	}
	rec := *old
	rec.Samples = slices.Clone(old.Samples)
	rec.LatencySamples = slices.Clone(old.LatencySamples)
	rec.Complete = false
	st.attempt = rec.BeginAttempt(r.opts.CommandLine, r.start)
	r.rec, r.resumed = &rec, st
	// Variants measured again are set up again, which records their paths anew.
	rec.Paths = slices.DeleteFunc(slices.Clone(old.Paths), func(p runrecord.PathRecord) bool {
		return len(r.pending(r.plan.variantTests(p.Variant))) > 0
	})
	r.total = len(r.pending(r.plan.Tests()))
	r.ev.Note(fmt.Sprintf("resuming run %s as attempt %d: %d of %d tests measured, %d to go",
		labelOr(rec.ID, "(no ID)"), st.attempt, len(old.Samples)+len(old.LatencySamples), len(r.plan.Tests()), r.total))
	return nil
}

// pending is tests without those a resumed record has samples of.
func (r *runner) pending(tests []Test) []Test {
	if r.resumed == nil {
		return tests
	}
	return slices.DeleteFunc(slices.Clone(tests), func(t Test) bool { return r.resumed.have[idOfTest(t)] })
}

// attempt is the number recorded in each new sample: 0 unless resumed.
func (r *runner) attempt() int {
	if r.resumed == nil {
		return 0
	}
	return r.resumed.attempt
}

// sameCluster refuses to go on when the cluster just opened is of another
// kind than the one the record was measured on.
func (r *runner) sameCluster() error {
	if r.resumed == nil {
		return nil
	}
	was, is := r.resumed.prior.Cluster.Kind, r.rec.Cluster.Kind
	if was != "" && is != "" && was != is {
		return fmt.Errorf("%w: the record was measured on a %s cluster, this one is %s", ErrCannotResume, was, is)
	}
	return nil
}

// endResume ends the attempt and keeps the facts and warnings of the
// variants this attempt did not build again.
func (r *runner) endResume() {
	if r.resumed == nil {
		return
	}
	r.rec.EndAttempt(r.rec.End)
	old := r.resumed.prior.Cluster
	r.rec.Cluster.Facts = appendMissing(r.rec.Cluster.Facts, old.Facts)
	r.rec.Cluster.Warnings = appendMissing(r.rec.Cluster.Warnings, old.Warnings)
	if len(r.infos) == 0 {
		r.rec.Cluster = old // nothing was built: the record's facts stand
		return
	}
	if len(r.plan.Variants) > 1 {
		var prior []variantInfo
		if b, err := json.Marshal(old.Details); err == nil && json.Unmarshal(b, &prior) == nil {
			for _, vi := range prior {
				if !slices.ContainsFunc(r.infos, func(n variantInfo) bool { return n.Variant == vi.Variant }) {
					r.infos = append(r.infos, vi)
				}
			}
			r.rec.Cluster.Details = slices.Clone(r.infos)
		}
	}
}

// appendMissing appends to kept each line of lines it lacks.
func appendMissing(kept, lines []string) []string {
	for _, l := range lines {
		if !slices.Contains(kept, l) {
			kept = append(kept, l)
		}
	}
	return kept
}
