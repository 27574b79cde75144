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
	for _, l := range []string{blockLine(run), modesLine(run)} {
		if l != "" {
			fmt.Fprintf(ew, "\n%s\n", mdEscape(l))
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
	for _, t := range subTables(run) {
		fmt.Fprintf(ew, "\n#### %s\n\n", mdEscape(t.heading()))
		cols := t.columns(true, 0)
		heads, aligns := make([]string, len(cols)), make([]string, len(cols))
		for i, c := range cols {
			heads[i], aligns[i] = c.head, "--:"
			if c.left {
				aligns[i] = "---"
			}
		}
		fmt.Fprintf(ew, "| %s |\n|%s|\n", strings.Join(heads, " | "), strings.Join(aligns, "|"))
		for _, r := range t.rows(run) {
			row := make([]string, len(cols))
			for i, c := range cols {
				row[i] = mdEscape(c.cell(r.cells, r.figures))
			}
			if r.cells.Baseline {
				row[0] = "**" + row[0] + "**"
			}
			fmt.Fprintf(ew, "| %s |\n", strings.Join(row, " | "))
		}
	}
	var warnings []string
	for _, s := range run.Summaries {
		for _, wn := range s.Warnings {
			warnings = append(warnings, fmt.Sprintf("- **%s**: %s", mdEscape(s.Key.String()), mdEscape(wn.Message)))
		}
	}
	if len(warnings) > 0 {
		fmt.Fprintf(ew, "\n%s\n", strings.Join(warnings, "\n"))
	}
	if len(run.Summaries) > 0 {
		fmt.Fprintf(ew, "\n<sub>%s</sub>\n", mdEscape(legend(run)))
	}
	writeSweepMarkdown(ew, run)
	writeUDPMaxMarkdown(ew, run)
	writeLatencyMarkdown(ew, run)
	writeFaultsMarkdown(ew, run)
	return ew.err
}

// mdEscape keeps text from breaking a table or turning into markup.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "'", "~", `\~`).Replace(s)
}
