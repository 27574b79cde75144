package report

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// CompareSchemaVersion names the JSON schema of a Comparison. v2: several
// runs per side, baseline-normalised changes (stats.Change), Holm's
// correction of the gate.
const CompareSchemaVersion = "cnibench.compare/v2"

// Comparison is two sets of runs side by side, one row per scenario group.
type Comparison struct {
	SchemaVersion string   `json:"schema_version"`
	Old           RunRef   `json:"old"` // the first run of each side
	New           RunRef   `json:"new"`
	OldRuns       []RunRef `json:"old_runs,omitempty"` // every run of the side, when several
	NewRuns       []RunRef `json:"new_runs,omitempty"`
	Alpha         float64  `json:"alpha"`
	RegressionPct *float64 `json:"regression_pct,omitempty"` // the --fail-on-regression threshold, when given
	FamilySize    int      `json:"family_size,omitempty"`    // rows in the gate's Holm correction
	// CannotJudge says why the gate cannot decide (only with RegressionPct):
	// too few samples, no scenario in common, a baseline that moved.
	CannotJudge []string `json:"cannot_judge,omitempty"`
	RunToRun    bool     `json:"run_to_run"` // both sides have several runs
	// ModesDiffer says how the sides moved their bytes differently, when
	// they did (sideModes): a change may then be the engine's, not the
	// network's. A side that discarded TCP bytes unread against one that
	// read them is not judged at all (CannotJudge).
	ModesDiffer string       `json:"modes_differ,omitempty"`
	Rows        []CompareRow `json:"rows"`
	// Latency is the p50 and p99 of every latency test both sides ran
	// (CompareLatency); none when a side ran no latency test.
	Latency []LatencyChange `json:"latency,omitempty"`
	// LatencyRegressionPct is the --fail-on-latency-regression threshold,
	// when given; without it no latency change is marked a regression.
	LatencyRegressionPct *float64 `json:"latency_regression_pct,omitempty"`
}

// RunRef says which run a side of a comparison is.
type RunRef struct {
	File     string    `json:"file,omitempty"`
	ID       string    `json:"id,omitempty"`
	Start    time.Time `json:"start"`
	Version  string    `json:"cnibench_version"`
	Cluster  string    `json:"cluster"`
	Variants []string  `json:"variants,omitempty"`
	Complete bool      `json:"complete"`
	// Modes are how the run's tests moved their bytes (runrecord.Run.Modes);
	// Discard that its TCP receivers dropped them unread (--discard).
	Modes   []string `json:"modes,omitempty"`
	Discard bool     `json:"discard,omitempty"`
}

// Row statuses of a comparison.
const (
	RowOK        = "ok"         // both sides measured: Delta is set
	RowOnlyOld   = "only-old"   // the new runs have no such group
	RowOnlyNew   = "only-new"   // the old runs have no such group
	RowOldFailed = "old-failed" // every old sample failed
	RowNewFailed = "new-failed" // every new sample failed
	RowFailed    = "failed"     // both failed
	RowNoChange  = "no-delta"   // both measured but no change can be computed (no round with its baseline)
)

// CompareRow is one scenario group in both sides.
type CompareRow struct {
	Scenario   string         `json:"scenario"`
	Protocol   stats.Protocol `json:"protocol"`
	Streams    int            `json:"streams"`
	OldVariant string         `json:"old_variant,omitempty"`
	NewVariant string         `json:"new_variant,omitempty"`
	Status     string         `json:"status"`
	// Delta is the change of goodput normalised by the baseline of the same
	// round (for the baseline row itself: of its goodput, informative only).
	Delta *stats.Change `json:"delta,omitempty"`
	// RTTDelta is the change of the idle connect RTT when both sides
	// measured it; informative only: it never makes a regression.
	RTTDelta   *stats.Change `json:"rtt_delta,omitempty"`
	Regression bool          `json:"regression"` // beyond RegressionPct (only when it is set)
	Note       string        `json:"note,omitempty"`
}

// Label names the row's group without variants: "pod-node tcp ×1".
func (r CompareRow) Label() string {
	return label(stats.Key{Scenario: r.Scenario, Protocol: r.Protocol, Streams: r.Streams})
}

// CompareOptions tune Compare.
type CompareOptions struct {
	Stats         stats.Config
	RegressionPct *float64 // mark falls beyond this many percent (and groups that stopped working)
	// LatencyRegressionPct marks latency rises beyond this many percent
	// (and latency tests that stopped working).
	LatencyRegressionPct *float64
	OldFiles             []string // names recorded in the comparison, one per run
	NewFiles             []string
}

// Compare matches the scenario groups of two sets of runs and measures each
// change. Groups match on scenario, protocol and streams, and on variant too
// unless every run has a single variant (so routed runs compare with vxlan
// runs). Goodput is compared as each round's ratio to the baseline of the
// same round, so host drift that moves every row cancels; a regression is a
// fall whose interval bound, after Holm's correction over the rows, lies
// beyond the threshold.
func Compare(old, new []*runrecord.Run, o CompareOptions) *Comparison {
	cfg := o.Stats
	alpha := cfg.Alpha
	if alpha <= 0 || alpha >= 1 {
		alpha = stats.DefaultAlpha
	}
	c := &Comparison{SchemaVersion: CompareSchemaVersion, Old: ref(old[0], at(o.OldFiles, 0)), New: ref(new[0], at(o.NewFiles, 0)),
		Alpha: alpha, RegressionPct: o.RegressionPct, RunToRun: len(old) > 1 && len(new) > 1}
	if len(old) > 1 || len(new) > 1 {
		for i, r := range old {
			c.OldRuns = append(c.OldRuns, ref(r, at(o.OldFiles, i)))
		}
		for i, r := range new {
			c.NewRuns = append(c.NewRuns, ref(r, at(o.NewFiles, i)))
		}
	}
	ignoreVariant := singleVariant(old) && singleVariant(new)
	match := func(k stats.Key) stats.Key {
		if ignoreVariant {
			k.Variant = ""
		}
		return k
	}
	threshold := 0.0
	if o.RegressionPct != nil {
		threshold = *o.RegressionPct / 100
	}
	oldKeys, newKeys := sideKeys(old), sideKeys(new)
	used := make([]bool, len(newKeys))
	var gated []*stats.Change
	for _, ok := range oldKeys {
		row := CompareRow{Scenario: ok.Scenario, Protocol: ok.Protocol, Streams: ok.Streams, OldVariant: ok.Variant}
		i := slices.IndexFunc(newKeys, func(k stats.Key) bool { return match(k) == match(ok) })
		if i < 0 {
			row.Status, row.Note = RowOnlyOld, "not in the new run"
			c.Rows = append(c.Rows, row)
			continue
		}
		used[i] = true
		nk := newKeys[i]
		row.NewVariant = nk.Variant
		ov, nv := sideValues(old, ok, logGoodputs), sideValues(new, nk, logGoodputs)
		if ort, nrt := sideValues(old, ok, logRTTs), sideValues(new, nk, logRTTs); ort != nil && nrt != nil {
			row.RTTDelta, _ = cfg.CompareRuns(ok, ort, nrt, 0)
		}
		baseline := old[0].Plan.IsBaseline(ok.Scenario)
		switch {
		case ov == nil && nv == nil:
			row.Status, row.Note = RowFailed, "failed in both runs"
		case ov == nil:
			row.Status, row.Note = RowOldFailed, "failed in the old run: "+sideErr(old, ok)
		case nv == nil:
			row.Status, row.Note = RowNewFailed, "failed in the new run: "+sideErr(new, nk)
			row.Regression = o.RegressionPct != nil
		default:
			if ob, nb := baselineNames(old, ok.Scenario), baselineNames(new, nk.Scenario); !baseline && ob != nb {
				row.Status, row.Note = RowNoChange, fmt.Sprintf("compared with %s in the old run(s) and %s in the new: no normalised change", ob, nb)
				break
			}
			if !baseline {
				ov, nv = sideValues(old, ok, roundRatios), sideValues(new, nk, roundRatios)
				if ov == nil || nv == nil {
					row.Status, row.Note = RowNoChange, "no round has both this group and its baseline: no normalised change"
					break
				}
			}
			d, err := cfg.CompareRuns(ok, ov, nv, threshold)
			if err != nil {
				row.Status, row.Note = RowNoChange, err.Error()
				break
			}
			d.Normalised = !baseline
			row.Status, row.Delta = RowOK, d
			switch {
			case baseline:
				row.Note = "baseline: never a regression"
			case d.CI == nil:
				row.Note = "too few samples for an interval"
			}
			if !baseline {
				gated = append(gated, d)
			}
		}
		c.Rows = append(c.Rows, row)
	}
	for i, nk := range newKeys {
		if !used[i] {
			c.Rows = append(c.Rows, CompareRow{Scenario: nk.Scenario, Protocol: nk.Protocol, Streams: nk.Streams,
				NewVariant: nk.Variant, Status: RowOnlyNew, Note: "not in the old run"})
		}
	}
	stats.AdjustChanges(gated)
	c.FamilySize = len(gated)
	for i := range c.Rows {
		r := &c.Rows[i]
		if d := r.Delta; d != nil && d.Normalised && o.RegressionPct != nil {
			r.Regression = d.Regression(alpha)
		}
	}
	if o.RegressionPct != nil {
		c.CannotJudge = undecided(c, threshold, minSamples(cfg))
	}
	c.compareModes(old, new, o.RegressionPct != nil)
	c.compareLatency(old, new, o)
	return c
}

// compareLatency fills c.Latency; its changes are regressions only when
// the latency gate is on.
func (c *Comparison) compareLatency(old, new []*runrecord.Run, o CompareOptions) {
	c.LatencyRegressionPct = o.LatencyRegressionPct
	pct := 0.0
	if o.LatencyRegressionPct != nil {
		pct = *o.LatencyRegressionPct
	}
	c.Latency = CompareLatency(old, new, pct, o.Stats)
	if o.LatencyRegressionPct == nil {
		for i := range c.Latency {
			c.Latency[i].Regression = false
		}
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

func singleVariant(runs []*runrecord.Run) bool {
	for _, r := range runs {
		if len(r.Variants()) > 1 {
			return false
		}
	}
	return true
}

// sideKeys are the group keys of a side's runs, in order of first
// appearance.
func sideKeys(runs []*runrecord.Run) []stats.Key {
	var keys []stats.Key
	for _, r := range runs {
		for _, g := range r.Groups() {
			if !slices.Contains(keys, g.Key) {
				keys = append(keys, g.Key)
			}
		}
	}
	return keys
}

// sideValues is values of key in each run of a side that has some; nil
// when no run has any.
func sideValues(runs []*runrecord.Run, key stats.Key, values func(*runrecord.Run, stats.Key) []float64) [][]float64 {
	var out [][]float64
	for _, r := range runs {
		if v := values(r, key); len(v) > 0 {
			out = append(out, v)
		}
	}
	return out
}

// baselineNames names the baseline a scenario is compared with in runs, or
// lists them all when the runs disagree.
func baselineNames(runs []*runrecord.Run, scenario string) string {
	var names []string
	for _, r := range runs {
		if b := r.Plan.BaselineOf(scenario); !slices.Contains(names, b) {
			names = append(names, b)
		}
	}
	return strings.Join(names, " and ")
}

// logGoodputs are the logs of a group's positive goodputs in one run.
func logGoodputs(r *runrecord.Run, key stats.Key) []float64 {
	return logPositive(successes(r, key, func(s runrecord.Sample) float64 { return s.Result.Goodput() }))
}

// logRTTs are the logs of a group's per-sample median connect RTTs.
func logRTTs(r *runrecord.Run, key stats.Key) []float64 {
	return logPositive(successes(r, key, func(s runrecord.Sample) float64 {
		if rt := s.Result.ConnectRTT; rt != nil && len(rt.SamplesUs) > 0 {
			return rt.MedianUs
		}
		return 0
	}))
}

// roundRatios are log(goodput / baseline goodput) of every round (repeat)
// in which both the group and its baseline succeeded.
func roundRatios(r *runrecord.Run, key stats.Key) []float64 {
	bk := r.BaselineKey(key)
	base := map[int]float64{}
	for _, s := range r.Samples {
		if s.Key() == bk && !s.Failed() && s.Result.Goodput() > 0 {
			base[s.Repeat] = s.Result.Goodput()
		}
	}
	var out []float64
	for _, s := range r.Samples {
		if b, ok := base[s.Repeat]; ok && s.Key() == key && !s.Failed() && s.Result.Goodput() > 0 {
			out = append(out, math.Log(s.Result.Goodput()/b))
		}
	}
	return out
}

func successes(r *runrecord.Run, key stats.Key, f func(runrecord.Sample) float64) []float64 {
	var out []float64
	for _, s := range r.Samples {
		if s.Key() == key && !s.Failed() {
			out = append(out, f(s))
		}
	}
	return out
}

func logPositive(v []float64) []float64 {
	var out []float64
	for _, x := range v {
		if x > 0 {
			out = append(out, math.Log(x))
		}
	}
	return out
}

func sideErr(runs []*runrecord.Run, key stats.Key) string {
	for _, r := range runs {
		if g := r.Group(key); g != nil {
			return firstErr(*g)
		}
	}
	return "no result"
}

func firstErr(g runrecord.Group) string {
	for _, s := range g.Samples {
		if s.Error != "" {
			return s.Error
		}
	}
	return "no result"
}

func ref(r *runrecord.Run, file string) RunRef {
	modes, discard := r.Modes()
	return RunRef{File: file, ID: r.ID, Start: r.Start, Version: r.CnibenchVersion.Version,
		Cluster: strings.TrimSpace(r.Cluster.Kind + " " + r.Cluster.Name), Variants: r.Variants(), Complete: r.Complete,
		Modes: modes, Discard: discard}
}

// Regressions are the rows marked as regressions (LatencyRegressions
// gives the latency changes marked so).
func (c *Comparison) Regressions() []CompareRow {
	var out []CompareRow
	for _, r := range c.Rows {
		if r.Regression {
			out = append(out, r)
		}
	}
	return out
}

// ExpandRunFiles turns arguments into run record files: each argument is a
// file or a glob (quoted, so the shell leaves it). A glob that matches
// nothing is an error naming it.
func ExpandRunFiles(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		if !strings.ContainsAny(a, "*?[") {
			files = append(files, a)
			continue
		}
		m, err := filepath.Glob(a)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", a, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%q matches no file: check the pattern and the directory", a)
		}
		files = append(files, m...)
	}
	return files, nil
}

// CompareFilesOptions say what to compare and where the comparison goes.
type CompareFilesOptions struct {
	CompareOptions
	Format Format    // table, json, csv or markdown
	Out    io.Writer // nil = nothing written
}

// CompareFiles reads the run records of each side, compares them and
// renders the comparison; the caller decides from Regressions what the exit
// status is.
func CompareFiles(oldPaths, newPaths []string, o CompareFilesOptions) (*Comparison, error) {
	if !slices.Contains(CompareFormats, o.Format) && o.Format != "" {
		return nil, fmt.Errorf("format %q is not available for comparisons: use one of %s", o.Format, FormatNames(CompareFormats))
	}
	if len(oldPaths) == 0 || len(newPaths) == 0 {
		return nil, errors.New("compare needs at least one run on each side")
	}
	old, new, err := readSides(oldPaths, newPaths)
	if err != nil {
		return nil, err
	}
	o.OldFiles, o.NewFiles = oldPaths, newPaths
	c := Compare(old, new, o.CompareOptions)
	if o.Out != nil {
		if err := RenderComparison(o.Out, c, o.Format); err != nil {
			return c, err
		}
	}
	return c, nil
}

// readSides reads the run records of each side.
func readSides(oldPaths, newPaths []string) (old, new []*runrecord.Run, err error) {
	for _, side := range []struct {
		paths []string
		runs  *[]*runrecord.Run
	}{{oldPaths, &old}, {newPaths, &new}} {
		for _, p := range side.paths {
			r, err := runrecord.ReadFile(p)
			if err != nil {
				return nil, nil, err
			}
			*side.runs = append(*side.runs, r)
		}
	}
	return old, new, nil
}
