package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// tableWidth is what the default table fits: a terminal of 120 columns.
// -o wide shows every column and every warning in full instead.
const tableWidth = 120

// writeTable renders run as the terminal table: the run's facts and the
// cluster's warnings, then one table per variant, protocol and stream
// count (each compares its rows with one baseline, in one rate unit), the
// warnings and a short legend.
func writeTable(w io.Writer, run *runrecord.Run, wide bool) error {
	var buf bytes.Buffer
	ew := &errWriter{w: &buf}
	title, facts := runFacts(run)
	for _, l := range wrapJoin(append([]string{title}, facts...), " · ", tableWidth, "  ") {
		fmt.Fprintln(ew, l)
	}
	for _, f := range run.Cluster.Facts {
		fmt.Fprintln(ew, wrap("  "+f, tableWidth, "    "))
	}
	for _, l := range []string{blockLine(run), modesLine(run)} {
		if l != "" {
			fmt.Fprintln(ew, wrap("  "+l, tableWidth, "    "))
		}
	}
	if ws := run.Cluster.Warnings; len(ws) > 0 {
		fmt.Fprintf(ew, "\n%s\n", clusterWarningsTitle)
		for _, w := range ws {
			fmt.Fprintln(ew, wrap("  ! "+w, tableWidth, "    "))
		}
	}
	for _, t := range subTables(run) {
		fmt.Fprintf(ew, "\n%s\n", t.heading())
		ew.Write(t.render(run, wide))
	}
	fmt.Fprintln(ew)
	for _, l := range warningLines(run, wide) {
		fmt.Fprintln(ew, l)
	}
	if len(run.Summaries) > 0 {
		fmt.Fprintln(ew, wrap(legend(run), tableWidth, ""))
	}
	writeSweepTable(ew, run, wide)
	writeUDPMaxTable(ew, run)
	writeLatencyTable(ew, run)
	writeFaultsTable(ew, run)
	if ew.err != nil {
		return ew.err
	}
	return trimWrite(w, buf.Bytes())
}

// subTable is one variant's groups of one protocol and stream count: the
// rows that share a baseline.
type subTable struct {
	stats.Key // Scenario unset
	Summaries []stats.Summary
	scale     rateScale
}

func subTables(run *runrecord.Run) []subTable {
	var ts []subTable
	index := map[stats.Key]int{}
	for _, s := range run.Summaries {
		k := s.Key
		k.Scenario = ""
		i, ok := index[k]
		if !ok {
			i = len(ts)
			index[k] = i
			ts = append(ts, subTable{Key: k})
		}
		ts[i].Summaries = append(ts[i].Summaries, s)
	}
	for i := range ts {
		top := 0.0
		for _, s := range ts[i].Summaries {
			if g := s.Goodput; g != nil {
				top = max(top, g.Median)
			}
		}
		ts[i].scale = scaleFor(top)
	}
	return ts
}

// heading names the table: "datapath=vxlan · udp ×1 · offered 500 Mbit/s · rates in Mbit/s".
func (t subTable) heading() string {
	var parts []string
	if t.Variant != "" {
		parts = append(parts, t.Variant)
	}
	parts = append(parts, fmt.Sprintf("%s ×%d", t.Protocol, t.Streams))
	for _, s := range t.Summaries {
		if s.OfferedBps > 0 {
			parts = append(parts, "offered "+rate(s.OfferedBps))
			break
		}
	}
	return strings.Join(append(parts, "rates in "+t.scale.unit), " · ")
}

// column is one column of the terminal table.
type column struct {
	head  string
	wide  bool           // only with -o wide
	proto stats.Protocol // only in tables of this protocol; "" in all
	left  bool           // text, not a figure: left-aligned in Markdown
	drop  int            // > 0: left out of the default table, lowest first, when it would not fit
	// nodeCPU: only in tables whose rows measured node CPU (nodecpu.go)
	nodeCPU bool
	cell    func(c cells, r rowFigures) string
}

// rowFigures are a row's rates in its table's unit.
type rowFigures struct{ Goodput, GoodputCI, Sent string }

type tableRow struct {
	cells   cells
	figures rowFigures
}

var tableColumns = []column{
	{head: "SCENARIO", left: true, cell: func(c cells, _ rowFigures) string { return c.Scenario }},
	{head: "N", cell: func(c cells, _ rowFigures) string { return c.N }},
	{head: "PATH", left: true, wide: true, cell: func(c cells, _ rowFigures) string { return c.Path }},
	{head: "GOODPUT", cell: func(_ cells, r rowFigures) string { return r.Goodput }},
	{head: "95% CI", wide: true, cell: func(_ cells, r rowFigures) string { return r.GoodputCI }},
	{head: "SENT", proto: stats.UDP, cell: func(_ cells, r rowFigures) string { return r.Sent }},
	{head: "LOSS", proto: stats.UDP, cell: func(c cells, _ rowFigures) string { return c.Loss }},
	{head: "JITTER", proto: stats.UDP, cell: func(c cells, _ rowFigures) string { return c.Jitter }},
	{head: "RETR", proto: stats.TCP, wide: true, cell: func(c cells, _ rowFigures) string { return c.Retr }},
	{head: "OVERHEAD", cell: func(c cells, _ rowFigures) string { return c.Overhead }},
	{head: "95% CI", drop: 3, cell: func(c cells, _ rowFigures) string { return c.OverheadCI }},
	{head: "P", wide: true, cell: func(c cells, _ rowFigures) string { return c.P }},
	{head: "FLOOR", drop: 2, cell: func(c cells, _ rowFigures) string { return c.Floor }},
	{head: "CPU/GBIT S/R", nodeCPU: true, drop: 1, cell: func(c cells, _ rowFigures) string { return c.NodeCPU }},
	{head: "CPU +", nodeCPU: true, drop: 4, cell: func(c cells, _ rowFigures) string { return c.CPUTax }},
	{head: "NODE BUSY", nodeCPU: true, wide: true, cell: func(c cells, _ rowFigures) string { return c.NodeBusy }},
	{head: "RTT", wide: true, cell: func(c cells, _ rowFigures) string { return c.RTT }},
	{head: "RTT +", wide: true, cell: func(c cells, _ rowFigures) string { return c.RTTDelta }},
	{head: "CPU S/R", wide: true, cell: func(c cells, _ rowFigures) string { return c.CPU }},
	{head: "VERDICT", left: true, cell: func(c cells, _ rowFigures) string { return c.Verdict }},
	{head: "NOTES", left: true, wide: true, cell: func(c cells, _ rowFigures) string { return c.Notes }},
}

// columns are the columns of t: every one with wide, else the default
// ones, without those dropped.
func (t subTable) columns(wide bool, dropped int) []column {
	var cols []column
	for _, c := range tableColumns {
		if (c.proto != "" && c.proto != t.Protocol) || (c.wide && !wide) || (c.drop > 0 && c.drop <= dropped && !wide) ||
			(c.nodeCPU && !hasNodeCPU(t.Summaries)) {
			continue
		}
		cols = append(cols, c)
	}
	return cols
}

// maxDrop is the highest drop of tableColumns.
const maxDrop = 4

// render writes t's rows; the default table leaves out droppable columns,
// the least useful first, until it fits tableWidth.
func (t subTable) render(run *runrecord.Run, wide bool) []byte {
	rows := t.rows(run)
	var out []byte
	for dropped := 0; dropped <= maxDrop; dropped++ {
		var buf bytes.Buffer
		tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		cols := t.columns(wide, dropped)
		heads := make([]string, len(cols))
		for i, c := range cols {
			heads[i] = c.head
		}
		fmt.Fprintln(tw, strings.Join(heads, "\t"))
		for _, row := range rows {
			vals := make([]string, len(cols))
			for i, c := range cols {
				vals[i] = c.cell(row.cells, row.figures)
			}
			fmt.Fprintln(tw, strings.Join(vals, "\t"))
		}
		tw.Flush()
		out = buf.Bytes()
		if wide || maxWidth(out) <= tableWidth {
			break
		}
	}
	return out
}

// rows are t's figures as text, its rates in its unit.
func (t subTable) rows(run *runrecord.Run) []tableRow {
	rows := make([]tableRow, len(t.Summaries))
	for i, s := range t.Summaries {
		c := runCells(run, s)
		r := rowFigures{Goodput: c.Median, GoodputCI: none, Sent: c.Sent}
		if g := s.Goodput; g != nil {
			r.Goodput, r.GoodputCI = t.scale.format(g.Median), t.scale.interval(g.MedianCI)
		}
		if e := s.Sent; e != nil {
			r.Sent = t.scale.format(e.Median)
		}
		rows[i] = tableRow{c, r}
	}
	return rows
}

// maxWidth is the widest line of b in characters, spaces at its end not
// counted.
func maxWidth(b []byte) int {
	w := 0
	for _, l := range bytes.Split(b, []byte("\n")) {
		w = max(w, utf8.RuneCount(bytes.TrimRight(l, " ")))
	}
	return w
}

// rateScale is one unit and precision for every rate of a column.
type rateScale struct {
	div      float64
	unit     string
	decimals int
}

// scaleFor picks the unit of the largest rate of a table, with decimals
// that keep 3 or 4 significant digits for it.
func scaleFor(top float64) rateScale {
	div, unit := rateUnit(top)
	d := 1
	if div == 1e9 {
		d = 3
	}
	return rateScale{div: div, unit: unit, decimals: d}
}

func (r rateScale) format(bps float64) string {
	return strconv.FormatFloat(bps/r.div, 'f', r.decimals, 64)
}

func (r rateScale) interval(ci *stats.Interval) string {
	if ci == nil {
		return "n/a"
	}
	return r.format(ci.Low) + "–" + r.format(ci.High)
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
