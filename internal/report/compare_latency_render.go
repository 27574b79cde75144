package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// latencyCompareRow is one latency test of a comparison: its p50 and its
// p99 change (either nil when the comparison has no such figure).
type latencyCompareRow struct {
	Variant, Scenario, Test string
	P50, P99                *LatencyChange
}

// latencyCompareRows pairs each test's p50 and p99 changes, in the
// comparison's order.
func latencyCompareRows(cs []LatencyChange) []latencyCompareRow {
	var rows []latencyCompareRow
	for i := range cs {
		ch := &cs[i]
		n := len(rows)
		if n == 0 || rows[n-1].Variant != ch.Variant || rows[n-1].Scenario != ch.Scenario || rows[n-1].Test != ch.Test {
			rows = append(rows, latencyCompareRow{Variant: ch.Variant, Scenario: ch.Scenario, Test: ch.Test})
			n++
		}
		if ch.Figure == "p99" {
			rows[n-1].P99 = ch
		} else {
			rows[n-1].P50 = ch
		}
	}
	return rows
}

// latencyFigureCells are one figure's change as text: "41 → 46 µs",
// "×1.12*", "1.05–1.19".
type latencyFigureCells struct {
	OldNew, Ratio, CI, P string
}

func latencyFigure(ch *LatencyChange, gated bool) latencyFigureCells {
	fc := latencyFigureCells{OldNew: none, Ratio: none, CI: none, P: none}
	switch {
	case ch == nil:
	case ch.NewFailed:
		fc.OldNew = "failed in new"
	default:
		fc.OldNew = microsPair(ch.OldUs, ch.NewUs)
		fc.Ratio = mark("×"+strconv.FormatFloat(1+ch.Rise, 'f', 2, 64), latencySignificant(*ch))
		fc.CI = "n/a"
		if ch.CI != nil {
			fc.CI = strconv.FormatFloat(1+ch.CI.Low, 'f', 2, 64) + "–" + strconv.FormatFloat(1+ch.CI.High, 'f', 2, 64)
		}
		if gated {
			fc.P = pvalue(ch.AdjustedP)
		}
	}
	return fc
}

// latencySignificant: the change's interval excludes no change, the
// goodput rows' *.
func latencySignificant(ch LatencyChange) bool { return ch.CI != nil && !ch.CI.Contains(0) }

// microsPair is "41 → 46 µs" in the unit micros gives the larger.
func microsPair(old, new float64) string {
	o, n := micros(old), micros(new)
	if unit := o[strings.LastIndexByte(o, ' '):]; strings.HasSuffix(n, unit) {
		o = strings.TrimSuffix(o, unit)
	}
	return o + " → " + n
}

// verdict says in words what changed: the figures that rose beyond the
// gate's threshold (their change is in the row), significantly slower or
// faster figures, or no clear change.
func (r latencyCompareRow) verdict() string {
	var regs, moved []string
	for _, ch := range []*LatencyChange{r.P50, r.P99} {
		switch {
		case ch == nil:
		case ch.NewFailed:
			return "failed in the new runs"
		case ch.Regression:
			regs = append(regs, ch.Figure)
		case ch.CI == nil:
			return "too few samples for an interval"
		case latencySignificant(*ch) && ch.Rise > 0:
			moved = append(moved, ch.Figure+" slower")
		case latencySignificant(*ch):
			moved = append(moved, ch.Figure+" faster")
		}
	}
	switch {
	case len(regs) > 0:
		return "REGRESSION: " + strings.Join(regs, ", ")
	case len(moved) > 0:
		return strings.Join(moved, ", ")
	}
	return "no clear change"
}

// samples is the runs and tests behind a row: "runs 1+1 n=6+6".
func (r latencyCompareRow) samples() string {
	for _, ch := range []*LatencyChange{r.P50, r.P99} {
		if ch != nil && !ch.NewFailed {
			return fmt.Sprintf("runs %d+%d n=%d+%d", ch.OldRuns, ch.NewRuns, ch.OldN, ch.NewN)
		}
	}
	return none
}

// latencyCompareCells are a row's cells in the column order of the wide
// table and Markdown: scenario, variant, test, then p50's and p99's old →
// new, ratio, interval and (gated) adjusted p, then the samples and the
// verdict.
func (c *Comparison) latencyCompareCells(r latencyCompareRow) []string {
	gated := c.LatencyRegressionPct != nil
	p50, p99 := latencyFigure(r.P50, gated), latencyFigure(r.P99, gated)
	return []string{r.Scenario, orDash(r.Variant), r.Test, p50.OldNew, p50.Ratio, p50.CI, p50.P, p99.OldNew, p99.Ratio, p99.CI, p99.P, r.samples(), r.verdict()}
}

// latencyCompareHeader names latencyCompareCells' columns.
var latencyCompareHeader = []string{"SCENARIO", "VARIANT", "TEST", "P50 OLD → NEW", "CHANGE", "95% CI", "P", "P99 OLD → NEW", "CHANGE", "95% CI", "P", "SAMPLES", "VERDICT"}

// latencyNarrowColumns are the columns of latencyCompareCells the default
// table keeps (variant only when the runs have several).
func latencyNarrowColumns(variants bool) []int {
	if variants {
		return []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 12}
	}
	return []int{0, 2, 3, 4, 5, 7, 8, 9, 12}
}

// latencyFooter says how to read the latency comparison.
func (c *Comparison) latencyFooter() string {
	s := "latency: p50 and p99 of each test's transactions, old → new, the geometric mean over each side's runs; change = new / old, " +
		"with its hierarchical bootstrap 95% CI (runs, then repeats); * = the interval excludes ×1.00"
	if p := c.LatencyRegressionPct; p != nil {
		family := 0
		for _, ch := range c.Latency {
			if !ch.NewFailed {
				family++
			}
		}
		s += fmt.Sprintf("; P = one-sided p of a rise beyond %g%% after Holm over %d figures; REGRESSION = that p < %g, or a test that stopped working", *p, family, c.Alpha)
	}
	return s
}

// writeCompareLatencyTable is the terminal's latency section; nothing
// when the comparison has no latency test.
func (c *Comparison) writeCompareLatencyTable(buf *strings.Builder, wide bool) {
	if len(c.Latency) == 0 {
		return
	}
	rows := latencyCompareRows(c.Latency)
	variants := wide
	for _, r := range rows {
		variants = variants || r.Variant != rows[0].Variant
	}
	cols := latencyNarrowColumns(variants)
	if wide {
		cols = []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 11, 12}
		if c.LatencyRegressionPct != nil {
			cols = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
		}
	}
	pick := func(cells []string) string {
		var out []string
		for _, i := range cols {
			out = append(out, cells[i])
		}
		return strings.Join(out, "\t")
	}
	fmt.Fprint(buf, "\nLATENCY\n")
	tw := tabwriter.NewWriter(buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, pick(latencyCompareHeader))
	for _, r := range rows {
		fmt.Fprintln(tw, pick(c.latencyCompareCells(r)))
	}
	tw.Flush()
}

// writeCompareLatencyMarkdown is the latency section in Markdown, every
// column.
func (c *Comparison) writeCompareLatencyMarkdown(ew *errWriter) {
	if len(c.Latency) == 0 {
		return
	}
	fmt.Fprint(ew, "\n#### Latency\n\n| scenario | variant | test | p50 old → new | change | 95% CI | p | p99 old → new | change | 95% CI | p | samples | verdict |\n"+
		"|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|\n")
	for _, r := range latencyCompareRows(c.Latency) {
		row := c.latencyCompareCells(r)
		for i := range row {
			row[i] = mdEscape(row[i])
		}
		if strings.HasPrefix(r.verdict(), "REGRESSION") || r.verdict() == "failed in the new runs" {
			row[len(row)-1] = "**" + row[len(row)-1] + "**"
		}
		fmt.Fprintf(ew, "| %s |\n", strings.Join(row, " | "))
	}
}

// compareLatencyCSVColumns end the columns of a comparison's CSV when it
// has latency: its latency rows (one per test and figure) fill scenario,
// old_variant, new_variant, status, old_level and new_level (µs), old_n,
// new_n, change (new/old − 1), its interval, p_value (adjusted),
// regression, old_runs, new_runs and significant, and these.
var compareLatencyCSVColumns = []string{"test", "figure"}

// latencyCSVRow is a latency change as a row of the comparison's CSV
// with columns.
func latencyCSVRow(ch LatencyChange, columns []string) []string {
	row := make([]string, len(columns))
	set := func(k, v string) { row[slices.Index(columns, k)] = v }
	set("scenario", ch.Scenario)
	set("old_variant", ch.Variant)
	set("new_variant", ch.Variant)
	set("test", ch.Test)
	set("figure", ch.Figure)
	set("status", RowOK)
	set("regression", strconv.FormatBool(ch.Regression))
	if ch.NewFailed {
		set("status", RowNewFailed)
		set("note", "failed in the new runs")
		return row
	}
	set("old_level", f64(ch.OldUs))
	set("new_level", f64(ch.NewUs))
	set("old_n", strconv.Itoa(ch.OldN))
	set("new_n", strconv.Itoa(ch.NewN))
	set("change", f64(ch.Rise))
	if ch.CI != nil {
		set("change_ci_low", f64(ch.CI.Low))
		set("change_ci_high", f64(ch.CI.High))
	}
	set("p_value", f64(ch.AdjustedP))
	set("old_runs", strconv.Itoa(ch.OldRuns))
	set("new_runs", strconv.Itoa(ch.NewRuns))
	set("significant", strconv.FormatBool(latencySignificant(ch)))
	return row
}
