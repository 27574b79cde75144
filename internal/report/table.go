package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/cnibench/cnibench/internal/runrecord"
)

// writeTable renders run as the terminal table: the cluster's warnings,
// then one section per variant, each with its warnings spelled out below it.
func writeTable(w io.Writer, run *runrecord.Run) error {
	var buf bytes.Buffer
	ew := &errWriter{w: &buf}
	title, facts := runFacts(run)
	fmt.Fprintf(ew, "%s · %s\n", title, strings.Join(facts, " · "))
	for _, f := range run.Cluster.Facts {
		fmt.Fprintf(ew, "  %s\n", f)
	}
	if ws := run.Cluster.Warnings; len(ws) > 0 {
		fmt.Fprintf(ew, "\n%s\n", clusterWarningsTitle)
		for _, w := range ws {
			fmt.Fprintf(ew, "  ! %s\n", w)
		}
	}
	for _, sec := range variantSections(run) {
		fmt.Fprintln(ew)
		if sec.Variant != "" {
			fmt.Fprintln(ew, sec.Variant)
		}
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SCENARIO\tPROTO\tSTREAMS\tN\tPATH\tMEDIAN\t95% CI\tOVERHEAD\t95% CI\tFLOOR\tRTT\tRTT +\tRETR/LOSS\tCPU S/R\tNOTES")
		for _, s := range sec.Summaries {
			c := runCells(run, s)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				c.Scenario, c.Protocol, c.Streams, c.N, c.Path, c.Median, c.MedianCI, c.Overhead, c.OverheadCI, c.Floor, c.RTT, c.RTTDelta, c.RetrOrLoss, c.CPU, c.Notes)
		}
		tw.Flush()
		for _, s := range sec.Summaries {
			for _, wn := range s.Warnings {
				fmt.Fprintf(ew, "  ! %s: %s\n", label(s.Key), wn.Message)
			}
		}
	}
	if len(run.Summaries) > 0 {
		fmt.Fprintf(ew, "\n%s\n", legend(run))
	}
	writeLatencyTable(ew, run)
	return trimWrite(w, buf.Bytes())
}

// trimWrite writes b without the spaces tabwriter leaves at line ends.
func trimWrite(w io.Writer, b []byte) error {
	lines := bytes.Split(b, []byte("\n"))
	for i, l := range lines {
		lines[i] = bytes.TrimRight(l, " ")
	}
	_, err := w.Write(bytes.Join(lines, []byte("\n")))
	return err
}

// errWriter keeps the first write error so renderers can write freely and
// check once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
