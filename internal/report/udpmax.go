package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/cnibench/cnibench/internal/runrecord"
)

// udpMaxHeads are the columns of the udp-max table.
var udpMaxHeads = []string{"SCENARIO", "SIZE", "RATE", "PKT/S", "JITTER", "OVERHEAD", "TRIALS", "NOTES"}

// udpMaxSections are the searches by variant, in run order; a retried
// search is in the faults table, not here (the search run again stands for
// it).
func udpMaxSections(run *runrecord.Run) [][]runrecord.UDPMax {
	var out [][]runrecord.UDPMax
	index := map[string]int{}
	for _, m := range run.UDPMax {
		if m.Retried {
			continue
		}
		i, ok := index[m.Variant]
		if !ok {
			i = len(out)
			index[m.Variant] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], m)
	}
	return out
}

// udpMaxCells is a search as the table shows it; a failed one says so
// instead of a figure.
func udpMaxCells(m runrecord.UDPMax) []string {
	size := strconv.Itoa(m.Size) + " B"
	if m.PathMTU {
		size += " (MTU)"
	}
	c := []string{m.Scenario, size, "-", "-", "-", "-", strconv.Itoa(len(m.Trials)), ""}
	switch {
	case m.Error != "":
		c[2], c[7] = "failed", m.Error
		return c
	case !m.Found:
		c[2], c[7] = "none", "no offered rate passed"
		return c
	}
	c[2], c[3] = rate(m.RateBps), strconv.FormatFloat(m.PacketsPerSecond, 'f', 0, 64)
	if m.JitterMs != nil {
		c[4] = strconv.FormatFloat(*m.JitterMs, 'f', 3, 64) + " ms"
	}
	switch {
	case m.BaselineScenario == m.Scenario:
		c[5] = "baseline"
	case m.Overhead != nil:
		c[5] = pct(*m.Overhead)
	case m.SenderLimited:
		c[5] = "n/c" // not comparable
	}
	var notes []string
	if m.SenderLimited {
		notes = append(notes, "sender-limited at "+rate(m.SenderBps))
	}
	if !m.Converged {
		notes = append(notes, "not converged")
	}
	c[7] = strings.Join(notes, "; ")
	return c
}

// udpMaxHeading names a section.
func udpMaxHeading(run *runrecord.Run, variant string) string {
	parts := []string{"UDP MAXIMUM LOSS-FREE RATE"}
	if variant != "" {
		parts = append(parts, variant)
	}
	pl := run.Plan
	return strings.Join(append(parts, fmt.Sprintf("loss ≤ %g%%, trials of %v (RFC 2544)", 100*pl.LossThreshold, pl.UDPMaxTrial)), " · ")
}

// writeUDPMaxTable is the terminal's udp-max section; nothing without searches.
func writeUDPMaxTable(w io.Writer, run *runrecord.Run) {
	for _, sec := range udpMaxSections(run) {
		fmt.Fprintf(w, "\n%s\n", udpMaxHeading(run, sec[0].Variant))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(udpMaxHeads, "\t"))
		for _, m := range sec {
			c := udpMaxCells(m)
			c[7] = shorten(c[7], 40)
			fmt.Fprintln(tw, strings.Join(c, "\t"))
		}
		tw.Flush()
	}
	if len(run.UDPMax) > 0 {
		fmt.Fprintln(w, wrap(udpMaxLegend, tableWidth, ""))
	}
}

// udpMaxLegend explains the udp-max table.
const udpMaxLegend = "RATE = the highest offered UDP payload rate whose trial lost no more than the threshold (binary search, RFC 2544); " +
	"PKT/S and JITTER = that trial's; OVERHEAD = 1 − rate/the baseline's rate at the same size; TRIALS = the search's trials (run.json has each); " +
	"sender-limited at X = the path lost nothing at X, the most the sender could offer, so RATE is a floor of what the path carries " +
	"and no OVERHEAD is given (n/c: not comparable); not converged = the trials ran out before the bracket closed"

// writeUDPMaxMarkdown is the udp-max section in Markdown.
func writeUDPMaxMarkdown(w io.Writer, run *runrecord.Run) {
	for _, sec := range udpMaxSections(run) {
		fmt.Fprintf(w, "\n#### %s\n\n| %s |\n|---|%s\n", mdEscape(udpMaxHeading(run, sec[0].Variant)), strings.Join(udpMaxHeads, " | "), strings.Repeat("--:|", len(udpMaxHeads)-1))
		for _, m := range sec {
			c := udpMaxCells(m)
			for i := range c {
				c[i] = mdEscape(c[i])
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(c, " | "))
		}
	}
	if len(run.UDPMax) > 0 {
		fmt.Fprintf(w, "\n<sub>%s</sub>\n", mdEscape(udpMaxLegend))
	}
}
