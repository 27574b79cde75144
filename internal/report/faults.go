package report

import (
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/runrecord"
)

// faultRow is a fault of the run's record (a pod lost, the API server
// away) as every report shows it: when, whose, why, what was done, and
// which tries it failed, kept as samples and measured again.
type faultRow struct {
	When, Variant, Pod, Node, Why, Done string
	Retried                             []string // "pod-pod-cross tcp ×1 #2"; none when the fault failed no test
}

// faultRows are the record's faults in order. A retried try belongs to the
// first fault of its variant found when or after it ended: the run checks
// the test's pods right after a try fails, and records what it finds.
func faultRows(run *runrecord.Run) []faultRow {
	rows := make([]faultRow, len(run.Faults))
	for i, f := range run.Faults {
		when := f.At
		if f.Seen != nil { // the watch saw it happen: that is when
			when = *f.Seen
		}
		rows[i] = faultRow{When: faultTime(run, when), Variant: f.Variant, Pod: f.Endpoint, Node: f.Node, Why: f.Why, Done: f.Recovery}
		if rows[i].Pod == "" {
			rows[i].Pod = "the API server"
		}
		if rows[i].Node == "" {
			rows[i].Node = "-"
		}
	}
	owner := func(variant string, end time.Time) int {
		for i, f := range run.Faults {
			if f.Variant == variant && !f.At.Before(end) {
				return i
			}
		}
		return -1
	}
	for _, s := range run.Samples {
		if i := owner(s.Variant, s.End); s.Retried && i >= 0 {
			rows[i].Retried = append(rows[i].Retried, fmt.Sprintf("%s %s ×%d #%d", s.Scenario, s.Protocol, s.Streams, s.Repeat))
		}
	}
	for _, s := range run.LatencySamples {
		if i := owner(s.Variant, s.End); s.Retried && i >= 0 {
			rows[i].Retried = append(rows[i].Retried, fmt.Sprintf("%s %s #%d", s.Scenario, s.Test, s.Repeat))
		}
	}
	for _, m := range run.UDPMax {
		if i := owner(m.Variant, m.End); m.Retried && i >= 0 {
			rows[i].Retried = append(rows[i].Retried, fmt.Sprintf("%s udp-max %d B", m.Scenario, m.Size))
		}
	}
	return rows
}

// faultTime is a fault's clock time and how far into the run it was found.
func faultTime(run *runrecord.Run, at time.Time) string {
	s := at.UTC().Format("15:04:05")
	if !run.Start.IsZero() && !at.Before(run.Start) {
		s += " (+" + at.Sub(run.Start).Round(time.Second).String() + ")"
	}
	return s
}

// retriedText says which tries a fault failed.
func (r faultRow) retriedText() string {
	if len(r.Retried) == 0 {
		return "none"
	}
	return strings.Join(r.Retried, ", ")
}

// faultsTitle heads the section in every format.
func faultsTitle(n int) string {
	return "FAULTS (" + strconv.Itoa(n) + "): what the cluster lost during the run and what cnibench did"
}

// faultsLegend says what a retried try is.
const faultsLegend = "A try a fault failed is kept in run.json as a failed sample marked retried (no figure comes from it) and the test runs again; " +
	"retried names those tries (docs/reliability.md)."

// writeFaultsTable is the terminal's faults section: a few lines per fault,
// as its reasons are sentences; nothing when the run lost nothing.
func writeFaultsTable(w io.Writer, run *runrecord.Run) {
	rows := faultRows(run)
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s\n", faultsTitle(len(rows)))
	for _, r := range rows {
		who := r.Pod
		if r.Node != "-" {
			who += " on " + r.Node
		}
		fmt.Fprintln(w, wrap("  "+r.When+"  "+labelPrefix(r.Variant)+who+": "+r.Why, tableWidth, "      "))
		fmt.Fprintln(w, wrap("    done: "+r.Done, tableWidth, "      "))
		fmt.Fprintln(w, wrap("    retried: "+r.retriedText(), tableWidth, "      "))
	}
	fmt.Fprintln(w, wrap(faultsLegend, tableWidth, ""))
}

// labelPrefix is "VARIANT: ", or nothing for a run of one variant.
func labelPrefix(variant string) string {
	if variant == "" {
		return ""
	}
	return variant + ": "
}

// faultHeads are the columns of the Markdown and HTML faults tables.
var faultHeads = []string{"when", "variant", "pod", "node", "why", "what was done", "retried"}

func (r faultRow) cells() []string {
	return []string{r.When, r.Variant, r.Pod, r.Node, r.Why, r.Done, r.retriedText()}
}

// writeFaultsMarkdown is the faults section in Markdown.
func writeFaultsMarkdown(w io.Writer, run *runrecord.Run) {
	rows := faultRows(run)
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\n#### %s\n\n| %s |\n|%s\n", mdEscape(faultsTitle(len(rows))), strings.Join(faultHeads, " | "), strings.Repeat("---|", len(faultHeads)))
	for _, r := range rows {
		c := r.cells()
		for i := range c {
			c[i] = mdEscape(c[i])
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(c, " | "))
	}
	fmt.Fprintf(w, "\n<sub>%s</sub>\n", mdEscape(faultsLegend))
}

// faultsTemplate lets the sentences (why, what was done, retried) wrap, so
// that the table fits a laptop's screen.
var faultsTemplate = template.Must(template.New("faults").Parse(`<section id="faults">
<h2>Faults</h2>
<p>What the cluster lost during the run and what cnibench did about it, in order.</p>
<div class="scroll"><table>
<thead><tr>{{range .Heads}}<th class="l">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range $i, $c := .}}<td class="{{if lt $i 4}}l{{else}}notes{{end}}">{{$c}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
<p class="legend-text">{{.Legend}}</p>
</section>`))

// faultsHTML is the page's faults section; empty when the run lost nothing.
func faultsHTML(run *runrecord.Run) (template.HTML, error) {
	rows := faultRows(run)
	if len(rows) == 0 {
		return "", nil
	}
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = r.cells()
	}
	var b strings.Builder
	err := faultsTemplate.Execute(&b, struct {
		Heads  []string
		Rows   [][]string
		Legend string
	}{faultHeads, cells, faultsLegend})
	return template.HTML(b.String()), err
}
