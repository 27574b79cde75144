package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// CompareSchemaVersion names the JSON schema of a Comparison.
const CompareSchemaVersion = "cnibench.compare/v1"

// Comparison is two runs side by side, one row per scenario group.
type Comparison struct {
	SchemaVersion string       `json:"schema_version"`
	Old           RunRef       `json:"old"`
	New           RunRef       `json:"new"`
	Alpha         float64      `json:"alpha"`
	RegressionPct *float64     `json:"regression_pct,omitempty"` // the --fail-on-regression threshold, when given
	Rows          []CompareRow `json:"rows"`
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
}

// Row statuses of a comparison.
const (
	RowOK        = "ok"         // both sides measured: Delta is set
	RowOnlyOld   = "only-old"   // the new run has no such group
	RowOnlyNew   = "only-new"   // the old run has no such group
	RowOldFailed = "old-failed" // every old sample failed
	RowNewFailed = "new-failed" // every new sample failed
	RowFailed    = "failed"     // both failed
	RowNoChange  = "no-delta"   // both measured but no relative change exists (old median 0)
)

// CompareRow is one scenario group in both runs.
type CompareRow struct {
	Scenario   string         `json:"scenario"`
	Protocol   stats.Protocol `json:"protocol"`
	Streams    int            `json:"streams"`
	OldVariant string         `json:"old_variant,omitempty"`
	NewVariant string         `json:"new_variant,omitempty"`
	Status     string         `json:"status"`
	Delta      *stats.Delta   `json:"delta,omitempty"`
	// RTTDelta is the change of the idle connect RTT (medians in µs) when
	// both runs measured it; informative only: it never makes a regression.
	RTTDelta   *stats.Delta `json:"rtt_delta,omitempty"`
	Regression bool         `json:"regression"` // beyond RegressionPct (only when it is set)
	Note       string       `json:"note,omitempty"`
}

// Label names the row's group without variants: "pod-node tcp ×1".
func (r CompareRow) Label() string {
	return label(stats.Key{Scenario: r.Scenario, Protocol: r.Protocol, Streams: r.Streams})
}

// CompareOptions tune Compare.
type CompareOptions struct {
	Stats         stats.Config
	RegressionPct *float64 // mark significant falls beyond this many percent (and groups that stopped working)
	OldFile       string   // names recorded in the comparison
	NewFile       string
}

// Compare matches the scenario groups of two runs and measures each change.
// Groups match on scenario, protocol and streams, and on variant too unless
// each run has a single variant (so a routed run compares with a vxlan run).
func Compare(old, new *runrecord.Run, o CompareOptions) *Comparison {
	cfg := o.Stats
	alpha := cfg.Alpha
	if alpha <= 0 || alpha >= 1 {
		alpha = stats.DefaultAlpha
	}
	c := &Comparison{SchemaVersion: CompareSchemaVersion, Old: ref(old, o.OldFile), New: ref(new, o.NewFile), Alpha: alpha, RegressionPct: o.RegressionPct}
	ignoreVariant := len(old.Variants()) <= 1 && len(new.Variants()) <= 1
	match := func(k stats.Key) stats.Key {
		if ignoreVariant {
			k.Variant = ""
		}
		return k
	}
	newGroups := new.Groups()
	used := make([]bool, len(newGroups))
	for _, og := range old.Groups() {
		row := CompareRow{Scenario: og.Key.Scenario, Protocol: og.Key.Protocol, Streams: og.Key.Streams, OldVariant: og.Key.Variant}
		i := slices.IndexFunc(newGroups, func(g runrecord.Group) bool { return match(g.Key) == match(og.Key) })
		if i < 0 {
			row.Status, row.Note = RowOnlyOld, "not in the new run"
			c.Rows = append(c.Rows, row)
			continue
		}
		used[i] = true
		ng := newGroups[i]
		row.NewVariant = ng.Key.Variant
		ogs, ngs := og.Stats(nil), ng.Stats(nil)
		ov, nv := ogs.Goodputs(), ngs.Goodputs()
		if ort, nrt := ogs.RTTs(), ngs.RTTs(); len(ort) > 0 && len(nrt) > 0 {
			row.RTTDelta, _ = cfg.Compare(og.Key, ort, nrt) // nil when the old median is 0
		}
		switch {
		case len(ov) == 0 && len(nv) == 0:
			row.Status, row.Note = RowFailed, "failed in both runs"
		case len(ov) == 0:
			row.Status, row.Note = RowOldFailed, "failed in the old run: "+firstErr(og)
		case len(nv) == 0:
			row.Status, row.Note = RowNewFailed, "failed in the new run: "+firstErr(ng)
			row.Regression = o.RegressionPct != nil
		default:
			d, err := cfg.Compare(og.Key, ov, nv)
			if err != nil {
				row.Status, row.Note = RowNoChange, err.Error()
				break
			}
			row.Status, row.Delta = RowOK, d
			if minP := stats.MinPValue(d.OldN, d.NewN); minP >= alpha {
				row.Note = fmt.Sprintf("too few samples to tell (smallest possible p = %.3f)", minP)
			}
			row.Regression = o.RegressionPct != nil && d.Regression(*o.RegressionPct)
		}
		c.Rows = append(c.Rows, row)
	}
	for i, ng := range newGroups {
		if !used[i] {
			c.Rows = append(c.Rows, CompareRow{Scenario: ng.Key.Scenario, Protocol: ng.Key.Protocol, Streams: ng.Key.Streams,
				NewVariant: ng.Key.Variant, Status: RowOnlyNew, Note: "not in the old run"})
		}
	}
	return c
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
	return RunRef{File: file, ID: r.ID, Start: r.Start, Version: r.CnibenchVersion.Version,
		Cluster: strings.TrimSpace(r.Cluster.Kind + " " + r.Cluster.Name), Variants: r.Variants(), Complete: r.Complete}
}

// Regressions are the rows marked as regressions.
func (c *Comparison) Regressions() []CompareRow {
	var out []CompareRow
	for _, r := range c.Rows {
		if r.Regression {
			out = append(out, r)
		}
	}
	return out
}

// CompareFilesOptions say what to compare and where the comparison goes.
type CompareFilesOptions struct {
	CompareOptions
	Format Format    // table, json, csv or markdown
	Out    io.Writer // nil = nothing written
}

// CompareFiles reads two run records, compares them and renders the
// comparison; the caller decides from Regressions what the exit status is.
func CompareFiles(oldPath, newPath string, o CompareFilesOptions) (*Comparison, error) {
	if !slices.Contains(CompareFormats, o.Format) && o.Format != "" {
		return nil, fmt.Errorf("format %q is not available for comparisons: use one of %s", o.Format, FormatNames(CompareFormats))
	}
	old, err := runrecord.ReadFile(oldPath)
	if err != nil {
		return nil, err
	}
	new, err := runrecord.ReadFile(newPath)
	if err != nil {
		return nil, err
	}
	o.OldFile, o.NewFile = oldPath, newPath
	c := Compare(old, new, o.CompareOptions)
	if o.Out != nil {
		if err := RenderComparison(o.Out, c, o.Format); err != nil {
			return c, err
		}
	}
	return c, nil
}
