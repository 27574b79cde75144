package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// sweepBlock is the curves of one knob with every other setting fixed, one
// per scenario: a table in text and Markdown, a chart in HTML.
type sweepBlock struct {
	Knob, Fixed string
	Protocol    stats.Protocol
	Curves      []runrecord.Sweep
	scale       rateScale
}

// sweepBlocks groups the run's curves by knob, fixed settings and protocol.
func sweepBlocks(run *runrecord.Run) []sweepBlock {
	var out []sweepBlock
	index := map[string]int{}
	for _, sw := range run.Sweeps {
		id := sw.Knob + "|" + sw.Fixed + "|" + string(sw.Protocol)
		i, ok := index[id]
		if !ok {
			i = len(out)
			index[id] = i
			out = append(out, sweepBlock{Knob: sw.Knob, Fixed: sw.Fixed, Protocol: sw.Protocol})
		}
		out[i].Curves = append(out[i].Curves, sw)
	}
	for i := range out {
		top := 0.0
		for _, sw := range out[i].Curves {
			for _, p := range sw.Points {
				if p.Goodput != nil {
					top = max(top, *p.Goodput)
				}
			}
		}
		out[i].scale = scaleFor(top)
	}
	return out
}

// heading names the block: "SWEEP policy-rules · datapath=routed,streams=1 · tcp · goodput in Gbit/s".
func (b sweepBlock) heading() string {
	parts := []string{"SWEEP " + b.Knob}
	if b.Fixed != "" {
		parts = append(parts, b.Fixed)
	}
	return strings.Join(append(parts, string(b.Protocol), "goodput in "+b.scale.unit+" (overhead)"), " · ")
}

// labels are the knob's values of the block, in order.
func (b sweepBlock) labels() []string {
	var ls []string
	seen := map[string]bool{}
	for _, sw := range b.Curves {
		for _, p := range sw.Points {
			if !seen[p.Label] {
				seen[p.Label] = true
				ls = append(ls, p.Label)
			}
		}
	}
	return ls
}

// cell is a point as the table shows it: "9.31 1.1%*", "failed".
func (b sweepBlock) cell(p runrecord.SweepPoint, overhead bool) string {
	if p.Goodput == nil {
		return "failed"
	}
	s := b.scale.format(*p.Goodput)
	if overhead && p.Overhead != nil {
		s += " " + pct(*p.Overhead)
		if p.Significant {
			s += "*"
		}
	}
	return s
}

// row is a curve's cells: its scenario, then its point at each of the
// block's values ("-" where it has none).
func (b sweepBlock) row(sw runrecord.Sweep, overhead bool) []string {
	row := []string{sw.Scenario}
	for _, l := range b.labels() {
		if p := pointAt(sw, l); p != nil {
			row = append(row, b.cell(*p, overhead))
		} else {
			row = append(row, "-")
		}
	}
	return row
}

// sparks draws a curve in eight heights, from 0 to its highest median.
func sparks(sw runrecord.Sweep) string {
	const bars = "▁▂▃▄▅▆▇█"
	top := 0.0
	for _, p := range sw.Points {
		if p.Goodput != nil {
			top = max(top, *p.Goodput)
		}
	}
	var b strings.Builder
	for _, p := range sw.Points {
		if p.Goodput == nil || top <= 0 {
			b.WriteString("×")
			continue
		}
		i := min(7, int(*p.Goodput/top*8))
		b.WriteString(string([]rune(bars)[i]))
	}
	return b.String()
}

// render is the block's text table, each point with its overhead when
// that fits tableWidth (or wide), else its median alone.
func (b sweepBlock) render(wide bool) []byte {
	var out []byte
	for _, overhead := range []bool{true, false} {
		var buf bytes.Buffer
		tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "SCENARIO\tCURVE\t%s\n", strings.Join(b.labels(), "\t"))
		for _, sw := range b.Curves {
			cells := b.row(sw, overhead)
			cells = append([]string{cells[0], sparks(sw)}, cells[1:]...)
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		tw.Flush()
		out = buf.Bytes()
		if wide || maxWidth(out) <= tableWidth {
			break
		}
	}
	return out
}

// kneeLine says where a curve breaks, with the medians either side.
func kneeLine(b sweepBlock, sw runrecord.Sweep) string {
	k := sw.Knee
	from, to := "", ""
	for _, p := range sw.Points {
		switch {
		case p.Label == k.FromLabel && p.Goodput != nil:
			from = b.scale.format(*p.Goodput)
		case p.Label == k.ToLabel && p.Goodput != nil:
			to = b.scale.format(*p.Goodput)
		}
	}
	return fmt.Sprintf("%s %s: %s (%s → %s %s at %s)", sw.Scenario, sw.Protocol, k.Note, from, to, b.scale.unit, k.ToLabel)
}

// writeSweepTable is the terminal's sweep section: per knob a table of
// each scenario's curve, then its knees; nothing when the run swept none.
func writeSweepTable(w io.Writer, run *runrecord.Run, wide bool) {
	blocks := sweepBlocks(run)
	for _, b := range blocks {
		fmt.Fprintf(w, "\n%s\n", b.heading())
		w.Write(b.render(wide))
		for _, sw := range b.Curves {
			if sw.Knee != nil {
				fmt.Fprintln(w, wrap("! "+kneeLine(b, sw), tableWidth, "    "))
			}
		}
	}
	if len(blocks) > 0 {
		fmt.Fprintln(w, wrap(sweepLegend(run), tableWidth, ""))
	}
}

// sweepLegend explains the sweep tables.
func sweepLegend(run *runrecord.Run) string {
	drop := runrecord.DefaultKneeDrop
	if len(run.Sweeps) > 0 {
		drop = run.Sweeps[0].KneeDrop
	}
	return fmt.Sprintf("SWEEP: each scenario's median goodput at every value of the knob, its overhead against the baseline "+
		"of the same value (* = significant); CURVE from 0 to the curve's highest median; a knee (!) is the first value whose "+
		"median lies %.0f%% or more below the previous (or first) value's, with the two 95%% intervals apart", 100*drop)
}

// writeSweepMarkdown is the sweep section in Markdown.
func writeSweepMarkdown(w io.Writer, run *runrecord.Run) {
	blocks := sweepBlocks(run)
	for _, b := range blocks {
		fmt.Fprintf(w, "\n#### %s\n\n", mdEscape(b.heading()))
		labels := b.labels()
		fmt.Fprintf(w, "| scenario | %s |\n|---|%s\n", mdEscape(strings.Join(labels, " | ")), strings.Repeat("--:|", len(labels)))
		for _, sw := range b.Curves {
			row := b.row(sw, true)
			for i := range row {
				row[i] = mdEscape(row[i])
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
		}
		for _, sw := range b.Curves {
			if sw.Knee != nil {
				fmt.Fprintf(w, "\n- **knee**: %s\n", mdEscape(kneeLine(b, sw)))
			}
		}
	}
	if len(blocks) > 0 {
		fmt.Fprintf(w, "\n<sub>%s</sub>\n", mdEscape(sweepLegend(run)))
	}
}

// sweepCSVColumns are added to the run's CSV when it swept a knob: one
// row per point (record "sweep"), its summary's figures in the usual columns.
var sweepCSVColumns = []string{"sweep_knob", "sweep_value", "sweep_label", "sweep_fixed", "knee"}

// writeSweepCSV writes one row per point of every curve.
func writeSweepCSV(cw *csv.Writer, run *runrecord.Run, newRow func() ([]string, func(k, v string))) {
	for _, sw := range run.Sweeps {
		for _, p := range sw.Points {
			row, set := newRow()
			set("record", "sweep")
			setKey(set, p.Key)
			set("status", p.Status)
			set("n", strconv.Itoa(p.N))
			setPtr(set, "goodput_bps", p.Goodput)
			setInterval(set, "median_ci_low_bps", "median_ci_high_bps", p.CI)
			setPtr(set, "overhead", p.Overhead)
			setInterval(set, "overhead_ci_low", "overhead_ci_high", p.OverheadCI)
			if p.Overhead != nil {
				set("significant", strconv.FormatBool(p.Significant))
			}
			setPtr(set, "rtt_us", p.RTTUs)
			setPtr(set, "rtt_delta_us", p.RTTDeltaUs)
			set("sweep_knob", sw.Knob)
			set("sweep_value", f64(p.Value))
			set("sweep_label", p.Label)
			set("sweep_fixed", sw.Fixed)
			if sw.Knee != nil && sw.Knee.ToLabel == p.Label {
				set("knee", sw.Knee.Note)
			}
			cw.Write(row)
		}
	}
}
