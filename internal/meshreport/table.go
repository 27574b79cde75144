package meshreport

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cnibench/cnibench/internal/meshrecord"
	"github.com/cnibench/cnibench/internal/units"
)

// width is what the table fits in.
const width = 120

// writeTable prints the mesh for a terminal: header, then per scenario
// the pair matrix (when it fits 120 columns), the nodes and the outliers,
// then the pod network's cost.
func writeTable(w io.Writer, m *meshrecord.Mesh) error {
	writeHeader(w, m)
	for _, sa := range m.Analysis.Scenarios {
		fmt.Fprintln(w)
		writeScenario(w, m, sa)
	}
	if len(m.Analysis.Cost) > 0 {
		fmt.Fprintln(w)
		writeCost(w, m)
	}
	return nil
}

// writeHeader is the mesh's identity, its cluster's facts and its plan.
func writeHeader(w io.Writer, m *meshrecord.Mesh) {
	fmt.Fprintf(w, "cnibench mesh %s · %s %s · %d nodes\n", m.ID, m.Cluster.Kind, m.Cluster.Name, len(m.Nodes))
	fmt.Fprintf(w, "  %s · %s · %s\n", m.Started.Format("2006-01-02 15:04:05 UTC"), elapsed(m), status(m))
	writeFacts(w, m)
}

// writeFacts is the cluster's facts, the plan, the nodes left out.
func writeFacts(w io.Writer, m *meshrecord.Mesh) {
	for _, f := range m.Cluster.Facts {
		fmt.Fprintf(w, "  %s\n", f)
	}
	fmt.Fprintf(w, "  plan: %s\n", m.Describe())
	if m.Plan.SamplePairs > 0 {
		fmt.Fprintf(w, "  sampled: each node against %d random peers; a fault between two nodes that never met is not seen\n", m.Plan.SamplePairs)
	}
	for _, s := range m.Skipped {
		fmt.Fprintf(w, "  skipped %s: %s\n", s.Name, s.Reason)
	}
	for _, warn := range m.Cluster.Warnings {
		fmt.Fprintf(w, "! %s\n", warn)
	}
}

func elapsed(m *meshrecord.Mesh) string {
	if m.Finished.IsZero() {
		return "running"
	}
	return m.Finished.Sub(m.Started).Round(time.Second).String()
}

// status is "112 tests · complete", with failures and interruptions said.
func status(m *meshrecord.Mesh) string {
	failed := 0
	for _, t := range m.Tests {
		if t.Goodput == nil {
			failed++
		}
	}
	s := fmt.Sprintf("%d tests", len(m.Tests))
	if failed > 0 {
		s += fmt.Sprintf(" (%d failed)", failed)
	}
	switch {
	case m.Complete:
		return s + " · complete"
	case m.Error != "":
		return s + " · INCOMPLETE: " + m.Error
	}
	return s + " · incomplete"
}

// unit picks Gbit/s or Mbit/s for a scenario's figures.
func unit(sa meshrecord.ScenarioAnalysis) (float64, string) {
	if sa.Median != nil && *sa.Median < 1e9 {
		return 1e6, "Mbit/s"
	}
	return 1e9, "Gbit/s"
}

// cellWidth is a matrix cell's width in the table.
const cellWidth = 7

// fits reports whether an n-node matrix fits the table's width.
func fits(m *meshrecord.Mesh) bool {
	return labelWidth(m)+cellWidth*len(m.Nodes) <= width
}

// labelWidth is the width of the matrix's row labels: "12 node-name".
func labelWidth(m *meshrecord.Mesh) int {
	w := 4
	for _, n := range m.Nodes {
		w = max(w, len(strconv.Itoa(len(m.Nodes)))+1+len(n.Name)+2)
	}
	return w
}

func writeScenario(w io.Writer, m *meshrecord.Mesh, sa meshrecord.ScenarioAnalysis) {
	div, u := unit(sa)
	fmt.Fprintf(w, "%s · %s ×%d · median of each pair in %s", sa.Scenario, m.Plan.Protocol, m.Plan.Streams, u)
	if sa.Median != nil {
		fmt.Fprintf(w, " · cluster median %s", units.FormatRate(*sa.Median))
	}
	fmt.Fprintln(w)
	if sa.Error != "" {
		fmt.Fprintf(w, "! %s\n", sa.Error)
		return
	}
	if fits(m) {
		writeMatrix(w, m, func(from, to int) string {
			p := sa.Pair(from, to)
			switch {
			case p == nil:
				return "·"
			case p.Median == nil:
				return "failed"
			}
			return units.FormatFigure(*p.Median / div)
		})
		legend := "rows send, columns receive"
		if m.Plan.SamplePairs > 0 {
			legend += "; · = not measured (sampled pairs)"
		}
		fmt.Fprintln(w, legend)
	} else {
		fmt.Fprintf(w, "(the %d×%d matrix does not fit %d columns: -o html draws it, -o csv lists every pair)\n", len(m.Nodes), len(m.Nodes), width)
	}
	fmt.Fprintln(w)
	writeNodes(w, sa, div, u)
	fmt.Fprintln(w)
	if len(sa.Outliers) == 0 {
		fmt.Fprintln(w, "OUTLIERS: none (no node's median is beyond a modified z-score of 3.5 and 10% from the cluster's)")
	} else {
		fmt.Fprintln(w, "OUTLIERS")
		for _, o := range sa.Outliers {
			fmt.Fprintf(w, "  %s\n", o)
		}
	}
	if len(sa.Zones) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "FROM ZONE\tTO ZONE\tPAIRS\tMEDIAN (%s)\n", u)
		for _, z := range sa.Zones {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", z.From, z.To, z.Pairs, units.FormatFigure(z.Median/div))
		}
		tw.Flush()
	}
}

// writeMatrix prints an N×N matrix, rows and columns numbered.
func writeMatrix(w io.Writer, m *meshrecord.Mesh, cell func(from, to int) string) {
	lw := labelWidth(m)
	var b strings.Builder
	b.WriteString(pad("FROM\\TO", lw))
	for j := range m.Nodes {
		b.WriteString(lpad(strconv.Itoa(j+1), cellWidth))
	}
	fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	for i, n := range m.Nodes {
		b.Reset()
		b.WriteString(pad(strconv.Itoa(i+1)+" "+n.Name, lw))
		for j := range m.Nodes {
			c := "-"
			if i != j {
				c = cell(i, j)
			}
			b.WriteString(lpad(c, cellWidth))
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

func pad(s string, n int) string  { return s + strings.Repeat(" ", max(0, n-len(s))) }
func lpad(s string, n int) string { return strings.Repeat(" ", max(0, n-len([]rune(s)))) + s }

// writeNodes is each node's robust score.
func writeNodes(w io.Writer, sa meshrecord.ScenarioAnalysis, div float64, u string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "NODE\tPAIRS\tMEDIAN (%s)\tVS CLUSTER\tZ\t\n", u)
	for _, n := range sa.Nodes {
		med, dev, z := "-", "-", "-"
		if n.Median != nil {
			med, dev, z = units.FormatFigure(*n.Median/div), fmt.Sprintf("%+.1f%%", n.Deviation*100), fmt.Sprintf("%+.1f", n.Z)
		}
		mark := ""
		if n.Outlier {
			mark = "OUTLIER"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", n.Name, n.Pairs, med, dev, z, mark)
	}
	tw.Flush()
	fmt.Fprintln(w, "MEDIAN = of the node's pairs, either end; Z = modified z-score (0.6745·(median − median of nodes)/MAD)")
}

// writeCost prints the pod network's cost per pair.
func writeCost(w io.Writer, m *meshrecord.Mesh) {
	cost := map[[2]int]float64{}
	var all []float64
	for _, c := range m.Analysis.Cost {
		cost[[2]int{c.From, c.To}] = c.Overhead
		all = append(all, c.Overhead)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range all {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	fmt.Fprintf(w, "POD NETWORK COST per pair: 1 − pod-pod-cross / node-node goodput, %d pairs, %.1f%% to %.1f%%\n", len(all), lo*100, hi*100)
	if !fits(m) {
		return
	}
	writeMatrix(w, m, func(from, to int) string {
		if v, ok := cost[[2]int{from, to}]; ok {
			return fmt.Sprintf("%.1f%%", v*100)
		}
		return "·"
	})
}

// WritePlan prints the round plan for --dry-run: every round's pairs and
// the estimated wall time with perTest per test.
func WritePlan(w io.Writer, m *meshrecord.Mesh, perTest time.Duration) {
	fmt.Fprintf(w, "cnibench mesh %s (dry run) · %s %s · %d nodes\n", m.ID, m.Cluster.Kind, m.Cluster.Name, len(m.Nodes))
	writeFacts(w, m)
	fmt.Fprintln(w)
	for r, round := range m.Plan.Rounds {
		var b strings.Builder
		fmt.Fprintf(&b, "round %d:", r+1)
		for _, p := range round {
			fmt.Fprintf(&b, " %s↔%s", m.NodeName(p[0]), m.NodeName(p[1]))
		}
		fmt.Fprintln(w, b.String())
	}
	steps := len(m.Plan.Steps())
	fmt.Fprintf(w, "\neach round runs once per direction (A→B, then B→A), scenario and repeat: %d steps of parallel tests,\n", steps)
	fmt.Fprintf(w, "about %s at %s per test (duration + omit + setup)\n", (time.Duration(steps) * perTest).Round(time.Second), perTest.Round(100*time.Millisecond))
}
