package meshreport

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"

	"github.com/cnibench/cnibench/internal/mesh"
	"github.com/cnibench/cnibench/internal/meshrecord"
	"github.com/cnibench/cnibench/internal/report"
	"github.com/cnibench/cnibench/internal/units"
)

// PairChange is one directed pair's median in two meshes, matched by
// node names (a node's index may differ between them).
type PairChange struct {
	Scenario string   `json:"scenario"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	Old      *float64 `json:"old,omitempty"` // bits/s; absent when not measured or failed there
	New      *float64 `json:"new,omitempty"`
	// Change is New/Old − 1, absent unless both measured.
	Change *float64 `json:"change,omitempty"`
}

// Comparison is two meshes pair by pair, largest change first, and the
// outliers each named.
type Comparison struct {
	Old, New         string // mesh IDs
	Pairs            []PairChange
	OldOut, NewOut   []string // outlier evidence, "scenario: evidence"
	OnlyOld, OnlyNew []string // nodes in one mesh only
}

// Compare matches two meshes' pairs by scenario and node names.
func Compare(oldM, newM *meshrecord.Mesh) *Comparison {
	c := &Comparison{Old: oldM.ID, New: newM.ID}
	type key struct{ sc, from, to string }
	medians := func(m *meshrecord.Mesh, out *[]string) map[key]*float64 {
		got := map[key]*float64{}
		for _, sa := range m.Analyze(mesh.Judging{}).Scenarios {
			for _, o := range sa.Outliers {
				*out = append(*out, sa.Scenario+": "+o)
			}
			for _, p := range sa.Pairs {
				got[key{sa.Scenario, m.NodeName(p.From), m.NodeName(p.To)}] = p.Median
			}
		}
		return got
	}
	om, nm := medians(oldM, &c.OldOut), medians(newM, &c.NewOut)
	keys := map[key]bool{}
	for k := range om {
		keys[k] = true
	}
	for k := range nm {
		keys[k] = true
	}
	for k := range keys {
		pc := PairChange{Scenario: k.sc, From: k.from, To: k.to, Old: om[k], New: nm[k]}
		if pc.Old != nil && pc.New != nil && *pc.Old > 0 {
			d := *pc.New / *pc.Old - 1
			pc.Change = &d
		}
		c.Pairs = append(c.Pairs, pc)
	}
	slices.SortFunc(c.Pairs, func(a, b PairChange) int {
		ca, cb := -1.0, -1.0 // a pair that could not be compared goes last
		if a.Change != nil {
			ca = math.Abs(*a.Change)
		}
		if b.Change != nil {
			cb = math.Abs(*b.Change)
		}
		return cmp.Or(cmp.Compare(cb, ca), cmp.Compare(a.Scenario, b.Scenario), cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	names := func(m *meshrecord.Mesh) map[string]bool {
		s := map[string]bool{}
		for _, n := range m.Nodes {
			s[n.Name] = true
		}
		return s
	}
	on, nn := names(oldM), names(newM)
	for _, n := range oldM.Nodes {
		if !nn[n.Name] {
			c.OnlyOld = append(c.OnlyOld, n.Name)
		}
	}
	for _, n := range newM.Nodes {
		if !on[n.Name] {
			c.OnlyNew = append(c.OnlyNew, n.Name)
		}
	}
	return c
}

// CompareFormats are the formats of a mesh comparison.
var CompareFormats = []report.Format{report.Table, report.JSON}

// maxCompareRows bounds the table: the largest changes come first.
const maxCompareRows = 40

// WriteComparison renders c as a table (the largest changes) or JSON.
func WriteComparison(w io.Writer, c *Comparison, f report.Format) error {
	switch f {
	case report.JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(c)
	case report.Table, "":
	default:
		return fmt.Errorf("output format %q is not available for mesh comparisons: use one of %s", f, report.FormatNames(CompareFormats))
	}
	fmt.Fprintf(w, "cnibench compare of meshes %s → %s: %d directed pairs\n", c.Old, c.New, len(c.Pairs))
	for _, n := range c.OnlyOld {
		fmt.Fprintf(w, "  %s: only in %s\n", n, c.Old)
	}
	for _, n := range c.OnlyNew {
		fmt.Fprintf(w, "  %s: only in %s\n", n, c.New)
	}
	outliers := func(id string, ev []string) {
		if len(ev) == 0 {
			fmt.Fprintf(w, "outliers in %s: none\n", id)
		}
		for _, e := range ev {
			fmt.Fprintf(w, "outlier in %s: %s\n", id, e)
		}
	}
	outliers(c.Old, c.OldOut)
	outliers(c.New, c.NewOut)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tFROM\tTO\tOLD\tNEW\tCHANGE")
	rate := func(v *float64) string {
		if v == nil {
			return "-"
		}
		return units.FormatRate(*v)
	}
	for i, p := range c.Pairs {
		if i == maxCompareRows {
			fmt.Fprintf(tw, "… %d more pairs (-o json lists every one)\n", len(c.Pairs)-maxCompareRows)
			break
		}
		change := "not in both"
		if p.Change != nil {
			change = fmt.Sprintf("%+.1f%%", *p.Change*100)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Scenario, p.From, p.To, rate(p.Old), rate(p.New), change)
	}
	tw.Flush()
	fmt.Fprintln(w, "largest change first; each figure is the pair's median over its repeats (no interval across meshes: repeat each mesh to judge noise)")
	return nil
}
