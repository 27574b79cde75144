package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/cnibench/cnibench/internal/stats"
)

// CompareFormats are the formats of a comparison.
var CompareFormats = []Format{Table, Wide, JSON, CSV, Markdown}

// RenderComparison writes c in format f.
func RenderComparison(w io.Writer, c *Comparison, f Format) error {
	switch f {
	case Table, "":
		return writeCompareTable(w, c, false)
	case Wide:
		return writeCompareTable(w, c, true)
	case JSON:
		b, err := json.MarshalIndent(c, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	case CSV:
		return writeCompareCSV(w, c)
	case Markdown:
		return writeCompareMarkdown(w, c)
	}
	return fmt.Errorf("format %q is not available for comparisons: use one of %s", f, FormatNames(CompareFormats))
}

// compareCells are one row's figures as text.
type compareCells struct {
	Label, Variants, Old, New, Change, CI, P, Notes string
	RTT, RTTChange                                  string // "40 → 58 µs", "+45.00%*"
}

func (c *Comparison) cells(r CompareRow) compareCells {
	cc := compareCells{Label: r.Label(), Old: none, New: none, Change: none, CI: none, P: none, Notes: r.Note, RTT: none, RTTChange: none}
	if r.OldVariant != r.NewVariant || len(c.Old.Variants) > 1 || len(c.New.Variants) > 1 {
		cc.Variants = variantPair(r.OldVariant, r.NewVariant)
	}
	if d := r.Delta; d != nil {
		if d.Normalised {
			cc.Old, cc.New = pct(d.OldLevel)+" of base", pct(d.NewLevel)+" of base"
		} else {
			cc.Old, cc.New = rate(d.OldLevel), rate(d.NewLevel)
		}
		cc.Change = changeMark(d)
		cc.CI = pctRange(d.CI)
		cc.P = fmt.Sprintf("runs %d+%d n=%d+%d", d.OldRuns, d.NewRuns, d.OldN, d.NewN)
		if d.Normalised && c.RegressionPct != nil {
			cc.P = fmt.Sprintf("p=%s %s", pvalue(d.AdjustedP), cc.P)
		}
	}
	if d := r.RTTDelta; d != nil {
		cc.RTT = strings.TrimSuffix(micros(d.OldLevel), " µs") + " → " + micros(d.NewLevel)
		cc.RTTChange = changeMark(d)
	}
	if r.Regression {
		cc.Notes = strings.TrimPrefix(cc.Notes+"; REGRESSION", "; ")
	}
	return cc
}

// changeMark is the change in percent, always, with sigMark when its
// interval excludes 0: the runs can be told apart.
func changeMark(d *stats.Change) string {
	return mark(signedPct(d.Change), d.CI != nil && !d.CI.Contains(0))
}

func variantPair(o, n string) string {
	if o == n {
		return o
	}
	return fmt.Sprintf("%s → %s", orDash(o), orDash(n))
}

func orDash(s string) string {
	if s == "" {
		return none
	}
	return s
}

func (c *Comparison) heading() []string {
	side := func(name string, r RunRef) string {
		s := name + ": "
		if r.File != "" {
			s += r.File + " "
		}
		s += fmt.Sprintf("(%s, %s, %s", orDash(r.ID), r.Start.UTC().Format("2006-01-02 15:04 UTC"), r.Cluster)
		if len(r.Variants) > 0 && !(len(r.Variants) == 1 && r.Variants[0] == "") {
			s += ", " + strings.Join(r.Variants, " ")
		}
		if !r.Complete {
			s += ", INCOMPLETE"
		}
		return s + ")"
	}
	var lines []string
	if len(c.OldRuns) == 0 && len(c.NewRuns) == 0 {
		lines = []string{side("old", c.Old), side("new", c.New)}
	}
	for _, r := range c.OldRuns {
		lines = append(lines, side("old", r))
	}
	for _, r := range c.NewRuns {
		lines = append(lines, side("new", r))
	}
	if c.ModesDiffer != "" {
		lines = append(lines, "! "+c.ModesDiffer)
	}
	return lines
}

func (c *Comparison) footer() string {
	s := "change = new / old − 1 of goodput as a share of the same round's baseline (host drift cancels), with its hierarchical bootstrap 95% CI (runs, then repeats); * = the interval excludes 0; RTT = idle connect RTT, old → new, and its change"
	if c.RegressionPct != nil {
		s += fmt.Sprintf("; REGRESSION = a fall beyond %g%% at the interval's bound (one-sided p < %g after Holm over %d rows), or a scenario that stopped working", *c.RegressionPct, c.Alpha, c.FamilySize)
	}
	if len(c.Latency) > 0 {
		s += "\n" + c.latencyFooter()
	}
	if !c.RunToRun {
		s += "\nOne run per side: run-to-run variation cannot be separated from a change, so the interval is too narrow and a difference may be the runs, not the change. Give several runs per side: cnibench compare a1.json a2.json -- b1.json b2.json"
	}
	return s
}

// writeCompareTable renders c for a terminal; without wide it leaves out
// the test and RTT columns and wraps the prose to tableWidth.
func writeCompareTable(w io.Writer, c *Comparison, wide bool) error {
	var buf strings.Builder
	heading := c.heading()
	if !wide {
		for i, h := range heading {
			heading[i] = wrap(h, tableWidth, "  ")
		}
	}
	fmt.Fprintf(&buf, "cnibench compare\n%s\n\n", strings.Join(heading, "\n"))
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	// The default table leaves out a VARIANT column whose every row is the
	// same: the heading's old/new lines already name it.
	variants := wide
	for _, r := range c.Rows {
		variants = variants || c.cells(r).Variants != c.cells(c.Rows[0]).Variants
	}
	switch {
	case wide:
		fmt.Fprintln(tw, "SCENARIO\tVARIANT\tOLD\tNEW\tCHANGE\t95% CI\tTEST\tRTT\tRTT CHANGE\tNOTES")
	case variants:
		fmt.Fprintln(tw, "SCENARIO\tVARIANT\tOLD\tNEW\tCHANGE\t95% CI\tNOTES")
	default:
		fmt.Fprintln(tw, "SCENARIO\tOLD\tNEW\tCHANGE\t95% CI\tNOTES")
	}
	for _, r := range c.Rows {
		cc := c.cells(r)
		switch {
		case wide:
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cc.Label, orDash(cc.Variants), cc.Old, cc.New, cc.Change, cc.CI, cc.P, cc.RTT, cc.RTTChange, cc.Notes)
		case variants:
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cc.Label, orDash(cc.Variants), cc.Old, cc.New, cc.Change, cc.CI, shorten(cc.Notes, compareNotesWidth))
		default:
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", cc.Label, cc.Old, cc.New, cc.Change, cc.CI, shorten(cc.Notes, compareNotesWidth))
		}
	}
	tw.Flush()
	c.writeCompareLatencyTable(&buf, wide)
	footer := c.footer()
	if !wide {
		var lines []string
		for _, l := range strings.Split(footer, "\n") {
			lines = append(lines, wrap(l, tableWidth, ""))
		}
		footer = strings.Join(lines, "\n")
	}
	fmt.Fprintf(&buf, "\n%s\n", footer)
	return trimWrite(w, []byte(buf.String()))
}

// compareNotesWidth is as much of a row's notes as the default compare
// table shows (a failure's whole error is in -o wide).
const compareNotesWidth = 34

// shorten cuts s to n characters, the last an ellipsis.
func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func writeCompareMarkdown(w io.Writer, c *Comparison) error {
	ew := &errWriter{w: w}
	fmt.Fprint(ew, "### cnibench compare\n\n")
	for _, h := range c.heading() {
		fmt.Fprintf(ew, "- %s\n", mdEscape(h))
	}
	fmt.Fprint(ew, "\n| scenario | variant | old | new | change | 95% CI | test | RTT | RTT change | notes |\n|---|---|--:|--:|--:|--:|---|--:|--:|---|\n")
	for _, r := range c.Rows {
		cc := c.cells(r)
		row := []string{cc.Label, orDash(cc.Variants), cc.Old, cc.New, cc.Change, cc.CI, cc.P, cc.RTT, cc.RTTChange, cc.Notes}
		for i := range row {
			row[i] = mdEscape(row[i])
		}
		if r.Regression {
			row[len(row)-1] = "**" + row[len(row)-1] + "**"
		}
		fmt.Fprintf(ew, "| %s |\n", strings.Join(row, " | "))
	}
	c.writeCompareLatencyMarkdown(ew)
	fmt.Fprintf(ew, "\n<sub>%s</sub>\n", mdLines(c.footer()))
	return ew.err
}

// mdLines escapes each line of s for Markdown and breaks them with <br>.
func mdLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = mdEscape(l)
	}
	return strings.Join(lines, "<br>")
}

// compareColumns are the columns of a comparison's CSV (docs/run-json.md).
var compareColumns = []string{"scenario", "protocol", "streams", "old_variant", "new_variant", "status",
	"old_level", "new_level", "old_n", "new_n", "change", "change_ci_low", "change_ci_high",
	"p_value", "normalised", "regression", "note",
	"old_rtt_us", "new_rtt_us", "rtt_change", "rtt_ci_low", "rtt_ci_high", "old_runs", "new_runs",
	"significant"} // the change's interval excludes 0: the * of the table

func writeCompareCSV(w io.Writer, c *Comparison) error {
	cw := csv.NewWriter(w)
	columns := compareColumns
	if len(c.Latency) > 0 {
		columns = append(slices.Clip(compareColumns), compareLatencyCSVColumns...)
	}
	cw.Write(columns)
	for _, r := range c.Rows {
		row := []string{r.Scenario, string(r.Protocol), strconv.Itoa(r.Streams), r.OldVariant, r.NewVariant, r.Status,
			"", "", "", "", "", "", "", "", "", strconv.FormatBool(r.Regression), r.Note, "", "", "", "", "", "", "", ""}
		row = append(row, make([]string, len(columns)-len(row))...)
		if d := r.Delta; d != nil {
			row[6], row[7], row[8], row[9], row[10] = f64(d.OldLevel), f64(d.NewLevel), strconv.Itoa(d.OldN), strconv.Itoa(d.NewN), f64(d.Change)
			if d.CI != nil {
				row[11], row[12] = f64(d.CI.Low), f64(d.CI.High)
			}
			row[13], row[14] = f64(d.AdjustedP), strconv.FormatBool(d.Normalised)
			row[22], row[23] = strconv.Itoa(d.OldRuns), strconv.Itoa(d.NewRuns)
			row[24] = strconv.FormatBool(d.CI != nil && !d.CI.Contains(0))
		}
		if d := r.RTTDelta; d != nil {
			row[17], row[18], row[19] = f64(d.OldLevel), f64(d.NewLevel), f64(d.Change)
			if d.CI != nil {
				row[20], row[21] = f64(d.CI.Low), f64(d.CI.High)
			}
		}
		cw.Write(row)
	}
	for _, ch := range c.Latency {
		cw.Write(latencyCSVRow(ch, columns))
	}
	cw.Flush()
	return cw.Error()
}
