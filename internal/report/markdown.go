package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/cnibench/cnibench/internal/runrecord"
)

// writeMarkdown renders run as GitHub-flavoured Markdown for an issue or PR.
func writeMarkdown(w io.Writer, run *runrecord.Run) error {
	ew := &errWriter{w: w}
	title, facts := runFacts(run)
	fmt.Fprintf(ew, "### %s\n\n%s\n", mdEscape(title), mdEscape(strings.Join(facts, " · ")))
	if fs := run.Cluster.Facts; len(fs) > 0 {
		fmt.Fprintln(ew)
		for _, f := range fs {
			fmt.Fprintf(ew, "- %s\n", mdEscape(f))
		}
	}
	if len(run.CommandLine) > 0 {
		fmt.Fprintf(ew, "\n`%s`\n", strings.ReplaceAll(strings.Join(run.CommandLine, " "), "`", "'"))
	}
	if ws := run.Cluster.Warnings; len(ws) > 0 {
		fmt.Fprintf(ew, "\n**%s**\n\n", clusterWarningsTitle)
		for _, w := range ws {
			fmt.Fprintf(ew, "- %s\n", mdEscape(w))
		}
	}
	for _, sec := range variantSections(run) {
		if sec.Variant != "" {
			fmt.Fprintf(ew, "\n#### %s\n", mdEscape(sec.Variant))
		}
		fmt.Fprint(ew, "\n| scenario | proto | streams | n | path | median | 95% CI | overhead | 95% CI | p | floor | RTT | RTT + | retr | loss | jitter | CPU s/r | notes |\n")
		fmt.Fprint(ew, "|---|---|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n")
		for _, s := range sec.Summaries {
			c := runCells(run, s)
			row := []string{c.Scenario, c.Protocol, c.Streams, c.N, c.Path, c.Median, c.MedianCI, c.Overhead, c.OverheadCI, c.P, c.Floor, c.RTT, c.RTTDelta, c.Retr, c.Loss, c.Jitter, c.CPU, c.Notes}
			for i := range row {
				row[i] = mdEscape(row[i])
			}
			if c.Baseline {
				row[0] = "**" + row[0] + "**"
			}
			fmt.Fprintf(ew, "| %s |\n", strings.Join(row, " | "))
		}
		var warnings []string
		for _, s := range sec.Summaries {
			for _, wn := range s.Warnings {
				warnings = append(warnings, fmt.Sprintf("- **%s**: %s", mdEscape(label(s.Key)), mdEscape(wn.Message)))
			}
		}
		if len(warnings) > 0 {
			fmt.Fprintf(ew, "\n%s\n", strings.Join(warnings, "\n"))
		}
	}
	if len(run.Summaries) > 0 {
		fmt.Fprintf(ew, "\n<sub>%s</sub>\n", mdEscape(legend(run)))
	}
	writeLatencyMarkdown(ew, run)
	return ew.err
}

// mdEscape keeps text from breaking a table or turning into markup.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "'", "~", `\~`).Replace(s)
}
