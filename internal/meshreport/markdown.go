package meshreport

import (
	"fmt"
	"io"
	"strings"

	"github.com/cnibench/cnibench/internal/meshrecord"
	"github.com/cnibench/cnibench/internal/units"
)

// writeMarkdown is the table's content for a pull request or a wiki.
func writeMarkdown(w io.Writer, m *meshrecord.Mesh) error {
	fmt.Fprintf(w, "## cnibench mesh %s\n\n", m.ID)
	fmt.Fprintf(w, "- %s %s, %d nodes, %s, %s\n", m.Cluster.Kind, m.Cluster.Name, len(m.Nodes), m.Started.Format("2006-01-02 15:04 UTC"), status(m))
	for _, f := range m.Cluster.Facts {
		fmt.Fprintf(w, "- %s\n", f)
	}
	fmt.Fprintf(w, "- plan: %s\n", m.Describe())
	for _, s := range m.Skipped {
		fmt.Fprintf(w, "- skipped %s: %s\n", s.Name, s.Reason)
	}
	for _, sa := range m.Analysis.Scenarios {
		div, u := unit(sa)
		fmt.Fprintf(w, "\n### %s (%s)\n\n", sa.Scenario, u)
		if sa.Error != "" {
			fmt.Fprintf(w, "%s\n", sa.Error)
			continue
		}
		fmt.Fprintf(w, "Cluster median %s. ", units.FormatRate(*sa.Median))
		if len(sa.Outliers) == 0 {
			fmt.Fprintln(w, "No outlier.")
		} else {
			fmt.Fprintln(w, "Outliers:")
			fmt.Fprintln(w)
			for _, o := range sa.Outliers {
				fmt.Fprintf(w, "- **%s**\n", o)
			}
		}
		fmt.Fprintln(w)
		hdr := []string{"from \\ to"}
		for _, n := range m.Nodes {
			hdr = append(hdr, n.Name)
		}
		fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(hdr, " | "), strings.Repeat("---|", len(hdr)))
		for i, n := range m.Nodes {
			row := []string{n.Name}
			for j := range m.Nodes {
				c := "-"
				if p := sa.Pair(i, j); i != j && p != nil && p.Median != nil {
					c = units.FormatFigure(*p.Median / div)
				} else if i != j && p != nil {
					c = "failed"
				}
				row = append(row, c)
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
		}
		fmt.Fprintln(w, "\n| node | pairs | median | vs cluster | z |\n|---|---|---|---|---|")
		for _, n := range sa.Nodes {
			if n.Median == nil {
				fmt.Fprintf(w, "| %s | %d | - | - | - |\n", n.Name, n.Pairs)
				continue
			}
			fmt.Fprintf(w, "| %s | %d | %s | %+.1f%% | %+.1f |\n", n.Name, n.Pairs, units.FormatFigure(*n.Median/div), n.Deviation*100, n.Z)
		}
	}
	return nil
}
