package meshreport

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/cnibench/cnibench/internal/report"
	"github.com/cnibench/cnibench/internal/units"
)

// CompareFormats are the formats of a mesh comparison: those of a run
// comparison (report.CompareFormats), so one -o works for both.
var CompareFormats = report.CompareFormats

// maxCompareRows bounds the pairs of the table and of Markdown, largest
// change first; -o wide, csv and json list every pair.
const maxCompareRows = 40

// WriteComparison renders c in format f.
func WriteComparison(w io.Writer, c *Comparison, f report.Format) error {
	switch f {
	case report.Table, "":
		return writeCompareTable(w, c, false)
	case report.Wide:
		return writeCompareTable(w, c, true)
	case report.JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(c)
	case report.CSV:
		return writeCompareCSV(w, c)
	case report.Markdown:
		return writeCompareMarkdown(w, c)
	}
	return fmt.Errorf("output format %q is not available for mesh comparisons: use one of %s", f, report.FormatNames(CompareFormats))
}

// figureCells are a pair's or node's figures as text.
type figureCells struct{ Old, New, Change, CI, P, Tests, Verdict string }

func cellsOf(f Figures, outlierChange string) figureCells {
	fc := figureCells{Old: rateOrDash(f.Old), New: rateOrDash(f.New), Change: "-", CI: "-", P: "-",
		Tests: fmt.Sprintf("n=%d+%d", f.OldN, f.NewN), Verdict: f.Verdict}
	if f.Change != nil {
		fc.Change = fmt.Sprintf("%+.1f%%", *f.Change*100)
		if f.CI != nil && (f.CI.Low > 0 || f.CI.High < 0) {
			fc.Change += "*"
		}
	}
	if f.CI != nil {
		fc.CI = fmt.Sprintf("%+.1f – %+.1f%%", f.CI.Low*100, f.CI.High*100)
	}
	if f.AdjustedP != nil {
		fc.P = strconv.FormatFloat(*f.AdjustedP, 'f', 3, 64)
		if *f.AdjustedP < 0.001 {
			fc.P = "<0.001"
		}
	}
	if outlierChange != "" {
		fc.Verdict += "; " + outlierChange
	}
	return fc
}

func rateOrDash(v *float64) string {
	if v == nil {
		return "-"
	}
	return units.FormatRate(*v)
}

// heading names the two meshes and the nodes only one of them has.
func (c *Comparison) heading() []string {
	side := func(name string, r MeshRef) string {
		s := fmt.Sprintf("%s: %s (%s, %s, %d nodes", name, r.ID, r.Cluster, r.Started, r.Nodes)
		if !r.Complete {
			s += ", INCOMPLETE"
		}
		return s + ")"
	}
	lines := []string{side("old", c.Old), side("new", c.New)}
	for _, n := range c.OnlyOld {
		lines = append(lines, fmt.Sprintf("%s: only in the old mesh", n))
	}
	for _, n := range c.OnlyNew {
		lines = append(lines, fmt.Sprintf("%s: only in the new mesh", n))
	}
	return lines
}

// outlierLines are each mesh's outliers with their evidence.
func (c *Comparison) outlierLines() []string {
	var lines []string
	for _, side := range []struct {
		name string
		ev   []string
	}{{"old", c.OldOut}, {"new", c.NewOut}} {
		if len(side.ev) == 0 {
			lines = append(lines, "outliers in the "+side.name+" mesh: none")
		}
		for _, e := range side.ev {
			lines = append(lines, "outlier in the "+side.name+" mesh: "+e)
		}
	}
	for _, n := range c.Nodes {
		if n.OutlierChange == OutlierAppeared || n.OutlierChange == OutlierVanished {
			lines = append(lines, fmt.Sprintf("%s %s: %s", n.Scenario, n.Node, n.OutlierChange))
		}
	}
	return lines
}

func (c *Comparison) footer() string {
	s := "A pair: old, new = the geometric mean of its repeats; change = new / old − 1 with its 95% bootstrap interval. " +
		"A node: old, new = the median of its pairs' medians, either end (its score's figure); change = the Hodges–Lehmann shift of those pairs, with its 95% Moses interval, so one slow peer does not move a healthy node. " +
		"* = the interval excludes 0. Goodput is compared as measured: a mesh has no same-round baseline, so a change of the hosts moves every pair."
	if c.RegressionPct != nil {
		s += fmt.Sprintf(" REGRESSION = a fall beyond %g%% at the interval's bound (one-sided p < 0.05, bootstrap for a pair, Mann–Whitney for a node, after Holm over %d pairs and nodes), or what the new mesh failed and the old one measured.",
			*c.RegressionPct, c.FamilySize)
	}
	return s
}

// writeCompareTable renders c for a terminal: the nodes, then the pairs
// (the largest changes, or with wide every pair and the tests and p).
func writeCompareTable(w io.Writer, c *Comparison, wide bool) error {
	fmt.Fprintf(w, "cnibench compare of meshes\n%s\n\n", strings.Join(c.heading(), "\n"))
	for _, l := range c.outlierLines() {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(label string, fc figureCells) {
		if wide {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", label, fc.Old, fc.New, fc.Change, fc.CI, fc.Tests, fc.P, fc.Verdict)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", label, fc.Old, fc.New, fc.Change, fc.CI, fc.Verdict)
		}
	}
	header := func(first string) {
		if wide {
			fmt.Fprintf(tw, "%s\tOLD\tNEW\tCHANGE\t95%% CI\tTESTS\tP\tVERDICT\n", first)
		} else {
			fmt.Fprintf(tw, "%s\tOLD\tNEW\tCHANGE\t95%% CI\tVERDICT\n", first)
		}
	}
	header("NODE")
	for _, n := range c.Nodes {
		row(n.Scenario+" "+n.Node, cellsOf(n.Figures, n.OutlierChange))
	}
	tw.Flush()
	fmt.Fprintln(w)
	header("PAIR")
	for i, p := range c.Pairs {
		if i == maxCompareRows && !wide {
			fmt.Fprintf(tw, "… %d more pairs (-o wide or csv lists every one)\n", len(c.Pairs)-maxCompareRows)
			break
		}
		row(p.Scenario+" "+p.From+" → "+p.To, cellsOf(p.Figures, ""))
	}
	tw.Flush()
	footer := c.footer()
	if !wide {
		footer = wrapWords(footer, width)
	}
	fmt.Fprintf(w, "\n%s\n", footer)
	return nil
}

// wrapWords breaks s into lines of at most n columns at spaces.
func wrapWords(s string, n int) string {
	var b strings.Builder
	col := 0
	for _, word := range strings.Fields(s) {
		l := len([]rune(word))
		if col > 0 && col+1+l > n {
			b.WriteByte('\n')
			col = 0
		} else if col > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += l
	}
	return b.String()
}

func writeCompareMarkdown(w io.Writer, c *Comparison) error {
	fmt.Fprint(w, "### cnibench compare of meshes\n\n")
	for _, l := range append(c.heading(), c.outlierLines()...) {
		fmt.Fprintf(w, "- %s\n", mdEscape(l))
	}
	table := func(first string, rows [][]string) {
		fmt.Fprintf(w, "\n| %s | old | new | change | 95%% CI | tests | p | verdict |\n|---|--:|--:|--:|--:|--:|--:|---|\n", first)
		for _, r := range rows {
			for i := range r {
				r[i] = mdEscape(r[i])
			}
			if strings.HasPrefix(r[len(r)-1], VerdictRegression) {
				r[len(r)-1] = "**" + r[len(r)-1] + "**"
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
		}
	}
	cells := func(label string, fc figureCells) []string {
		return []string{label, fc.Old, fc.New, fc.Change, fc.CI, fc.Tests, fc.P, fc.Verdict}
	}
	var rows [][]string
	for _, n := range c.Nodes {
		rows = append(rows, cells(n.Scenario+" "+n.Node, cellsOf(n.Figures, n.OutlierChange)))
	}
	table("node", rows)
	rows = nil
	for i, p := range c.Pairs {
		if i == maxCompareRows {
			break
		}
		rows = append(rows, cells(p.Scenario+" "+p.From+" → "+p.To, cellsOf(p.Figures, "")))
	}
	table("pair", rows)
	if len(c.Pairs) > maxCompareRows {
		fmt.Fprintf(w, "\n… %d more pairs (-o csv lists every one)\n", len(c.Pairs)-maxCompareRows)
	}
	_, err := fmt.Fprintf(w, "\n<sub>%s</sub>\n", mdEscape(c.footer()))
	return err
}

// mdEscape keeps a cell's | and * from being read as Markdown.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`).Replace(s)
}

// compareColumns are the columns of a mesh comparison's CSV: one row per
// node, then per pair; a node's row has no "to".
var compareColumns = []string{"kind", "scenario", "from", "to", "old", "new", "old_n", "new_n",
	"change", "change_ci_low", "change_ci_high", "adjusted_p", "significant", "regression", "verdict",
	"old_outlier", "new_outlier", "outlier_change"}

func writeCompareCSV(w io.Writer, c *Comparison) error {
	cw := csv.NewWriter(w)
	cw.Write(compareColumns)
	opt := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'g', -1, 64)
	}
	row := func(kind, sc, from, to string, f Figures, outliers []string) {
		r := []string{kind, sc, from, to, opt(f.Old), opt(f.New), strconv.Itoa(f.OldN), strconv.Itoa(f.NewN), opt(f.Change), "", "",
			opt(f.AdjustedP), strconv.FormatBool(f.CI != nil && (f.CI.Low > 0 || f.CI.High < 0)), strconv.FormatBool(f.Regression), f.Verdict}
		if f.CI != nil {
			r[9], r[10] = opt(&f.CI.Low), opt(&f.CI.High)
		}
		cw.Write(append(r, outliers...))
	}
	for _, n := range c.Nodes {
		row("node", n.Scenario, n.Node, "", n.Figures, []string{strconv.FormatBool(n.OldOutlier), strconv.FormatBool(n.NewOutlier), n.OutlierChange})
	}
	for _, p := range c.Pairs {
		row("pair", p.Scenario, p.From, p.To, p.Figures, []string{"", "", ""})
	}
	cw.Flush()
	return cw.Error()
}
