package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// latencyCells are one latency summary's figures as text, shared by every
// renderer.
type latencyCells struct {
	Scenario, Test, N             string
	P50, P50CI, P50Delta, P50DCI  string
	P99, P99CI, P99Delta, P99DCI  string
	PerSecond, Notes              string
	Failed, Baseline, NotSignif50 bool
}

func latencySummaryCells(s stats.LatencySummary) latencyCells {
	c := latencyCells{Scenario: s.Scenario, Test: s.Test, N: strconv.Itoa(s.N), P50: "failed", P50CI: none, P50Delta: none,
		P50DCI: none, P99: none, P99CI: none, P99Delta: none, P99DCI: none, PerSecond: none,
		Failed: s.Status == stats.StatusFailed, Baseline: s.Baseline}
	if s.Failed > 0 {
		c.N = fmt.Sprintf("%d/%d", s.N, s.N+s.Failed)
	}
	if e := s.P50Us; e != nil {
		c.P50, c.P50CI = micros(e.Median), microsRange(e.MedianCI, e.Median)
	}
	if e := s.P99Us; e != nil {
		c.P99, c.P99CI = micros(e.Median), microsRange(e.MedianCI, e.Median)
	}
	if e := s.PerSecond; e != nil {
		c.PerSecond = strconv.FormatFloat(e.Median, 'f', 0, 64)
	}
	if s.Baseline && !c.Failed {
		c.P50Delta, c.P99Delta = "baseline", "baseline"
	}
	if d := s.P50Delta; d != nil {
		c.P50Delta, c.P50DCI = latencyDelta(d), microsRange(d.CI, d.DeltaUs)
		c.NotSignif50 = !d.Significant
	}
	if d := s.P99Delta; d != nil {
		c.P99Delta, c.P99DCI = latencyDelta(d), microsRange(d.CI, d.DeltaUs)
	}
	var notes []string
	if d := s.LoadP50Delta; d != nil {
		notes = append(notes, "load "+latencyDelta(d))
	}
	for _, w := range s.Warnings {
		notes = append(notes, w.Code)
	}
	c.Notes = strings.Join(notes, ", ")
	return c
}

// latencyDelta is what a scenario adds: "+1 µs ×1.02", "+12 µs ×1.31*"
// when significant (the run table's mark).
func latencyDelta(d *stats.LatencyDelta) string {
	s := signedMicros(d.DeltaUs)
	if d.Factor > 0 {
		s += " ×" + strconv.FormatFloat(d.Factor, 'f', 2, 64)
	}
	if d.Significant {
		s += "*"
	}
	return s
}

// microsRange formats an interval of µs in the unit micros gives ref:
// "48–53" (µs), "0.86–24.89" (ms); "n/a" without one.
func microsRange(ci *stats.Interval, ref float64) string {
	if ci == nil {
		return "n/a"
	}
	if math.Abs(ref) >= 1000 {
		return strconv.FormatFloat(ci.Low/1000, 'f', 2, 64) + "–" + strconv.FormatFloat(ci.High/1000, 'f', 2, 64)
	}
	return strconv.FormatFloat(ci.Low, 'f', 0, 64) + "–" + strconv.FormatFloat(ci.High, 'f', 0, 64)
}

// latencySections are the latency summaries by variant, in run order.
func latencySections(run *runrecord.Run) [][]stats.LatencySummary {
	var secs [][]stats.LatencySummary
	for _, s := range run.LatencySummaries {
		if n := len(secs); n == 0 || secs[n-1][0].Variant != s.Variant {
			secs = append(secs, nil)
		}
		secs[len(secs)-1] = append(secs[len(secs)-1], s)
	}
	return secs
}

func latencyLabel(k stats.LatencyKey) string { return k.Scenario + " " + k.Test }

// writeLatencyTable is the terminal's latency table, one per variant;
// nothing when the run has no latency tests.
func writeLatencyTable(w io.Writer, run *runrecord.Run) {
	for _, sec := range latencySections(run) {
		title := "LATENCY"
		if v := sec[0].Variant; v != "" {
			title += " · " + v
		}
		fmt.Fprintf(w, "\n%s\n", title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SCENARIO\tTEST\tN\tP50\t95% CI\tP50 +\t95% CI\tP99\t95% CI\tP99 +\tTRANS/S\tNOTES")
		for _, s := range sec {
			c := latencySummaryCells(s)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				c.Scenario, c.Test, c.N, c.P50, c.P50CI, c.P50Delta, c.P50DCI, c.P99, c.P99CI, c.P99Delta, c.PerSecond, c.Notes)
		}
		tw.Flush()
		for _, s := range sec {
			for _, wn := range s.Warnings {
				fmt.Fprintf(w, "  ! %s: %s\n", latencyLabel(s.LatencyKey), wn.Message)
			}
		}
	}
	if len(run.LatencySummaries) > 0 {
		fmt.Fprintf(w, "\n%s\n", wrap(latencyLegend(run), tableWidth, ""))
	}
}

// writeLatencyMarkdown is the latency table in Markdown.
func writeLatencyMarkdown(w io.Writer, run *runrecord.Run) {
	for _, sec := range latencySections(run) {
		title := "Latency"
		if v := sec[0].Variant; v != "" {
			title += " · " + v
		}
		fmt.Fprintf(w, "\n#### %s\n\n", mdEscape(title))
		fmt.Fprint(w, "| scenario | test | n | p50 | 95% CI | p50 + | 95% CI | p99 | 95% CI | p99 + | trans/s | notes |\n")
		fmt.Fprint(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n")
		for _, s := range sec {
			c := latencySummaryCells(s)
			row := []string{c.Scenario, c.Test, c.N, c.P50, c.P50CI, c.P50Delta, c.P50DCI, c.P99, c.P99CI, c.P99Delta, c.PerSecond, c.Notes}
			for i := range row {
				row[i] = mdEscape(row[i])
			}
			if c.Baseline {
				row[0] = "**" + row[0] + "**"
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
		}
		var warnings []string
		for _, s := range sec {
			for _, wn := range s.Warnings {
				warnings = append(warnings, fmt.Sprintf("- **%s**: %s", mdEscape(latencyLabel(s.LatencyKey)), mdEscape(wn.Message)))
			}
		}
		if len(warnings) > 0 {
			fmt.Fprintf(w, "\n%s\n", strings.Join(warnings, "\n"))
		}
	}
	if len(run.LatencySummaries) > 0 {
		fmt.Fprintf(w, "\n<sub>%s</sub>\n", mdEscape(latencyLegend(run)))
	}
}

// latencyLegend says how to read the latency table.
func latencyLegend(run *runrecord.Run) string {
	family := 0
	for _, s := range run.LatencySummaries {
		for _, d := range []*stats.LatencyDelta{s.P50Delta, s.P99Delta} {
			if d != nil && d.FamilySize > family {
				family = d.FamilySize
			}
		}
	}
	return fmt.Sprintf("latency: p50 and p99 of each test's transactions, median over the repeats with its exact 95%% interval; "+
		"p50 + and p99 + = what the scenario adds to the baseline's (node-node; node-node-same for same-node paths; same variant and test): Hodges–Lehmann estimate in µs "+
		"with its Moses 95%% interval, × the same on log latency as a factor; * = differs from the baseline (Mann-Whitney p < 0.05 after Holm over the latency table's %d tests); "+
		"trans/s = transactions per second (closed loop: one in flight); rr-load = rr while a bulk TCP stream runs on the same path, load = what it adds to the scenario's idle rr p50", family)
}
