package report

import (
	"html/template"
	"io"
	"slices"
	"strings"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// page is what the HTML template shows.
type page struct {
	Title      string
	Facts      []string
	Complete   bool
	Sections   []htmlSection
	Legend     string
	Charts     []protoCharts
	Series     []seriesPanels
	Run        *runrecord.Run
	Details    *detailsTable
	Plan       [][2]string
	Failures   []runrecord.Sample
	CommandRaw string
	Latency    template.HTML // the latency section (latencyhtml.go)
	Sweeps     template.HTML // the sweep section (sweepchart.go)
	Faults     template.HTML // the faults section (faults.go)
	UDPMax     template.HTML // the udp-max section (udpmaxhtml.go)
}

type htmlSection struct {
	Variant string
	Rows    []htmlRow
	Notes   []string
	NodeCPU bool // the node CPU columns show
}

// htmlRow is a summary's cells as the page's table shows them: an
// estimate and its interval share a cell (the interval under it), so the
// table fits a laptop's screen.
type htmlRow struct {
	cells
	Test        string   // "tcp ×1"
	Notes       []string // warning codes, each free to wrap
	ShowNodeCPU bool     // its section shows the node CPU columns
}

func newHTMLRow(c cells) htmlRow {
	r := htmlRow{cells: c, Test: c.Protocol + " ×" + c.Streams}
	if c.Notes != "" {
		r.Notes = strings.Split(c.Notes, ",")
	}
	return r
}

// seriesPanels are the interval panels of one protocol, on shared axes.
type seriesPanels struct {
	Protocol, Unit string
	Panels         []template.HTML
}

type protoCharts struct {
	Protocol                       string
	Goodput, Overhead, Strips, RTT template.HTML
}

// writeHTML renders run as one self-contained page: no script, no external
// font, style or image; every chart is inline SVG.
func writeHTML(w io.Writer, run *runrecord.Run) error {
	p := page{Run: run, Complete: run.Complete, Legend: legend(run), CommandRaw: strings.Join(run.CommandLine, " ")}
	p.Title, p.Facts = runFacts(run)
	for _, sec := range variantSections(run) {
		hs := htmlSection{Variant: sec.Variant, NodeCPU: hasNodeCPU(sec.Summaries)}
		for _, s := range sec.Summaries {
			row := newHTMLRow(runCells(run, s))
			row.ShowNodeCPU = hs.NodeCPU
			hs.Rows = append(hs.Rows, row)
			for _, wn := range s.Warnings {
				hs.Notes = append(hs.Notes, label(s.Key)+": "+wn.Message)
			}
		}
		p.Sections = append(p.Sections, hs)
	}
	groups := map[stats.Key]runrecord.Group{}
	for _, g := range run.Groups() {
		groups[g.Key] = g
	}
	for _, proto := range run.Protocols() {
		p.Charts = append(p.Charts, protoCharts{
			Protocol: strings.ToUpper(string(proto)),
			Goodput:  goodputChart(run, proto),
			Overhead: overheadChart(run, proto),
			Strips:   stripChart(run, proto, groups),
			RTT:      rttChart(run, proto),
		})
		p.Series = append(p.Series, intervalPanels(run, proto))
	}
	p.Details = newDetailsTable(run.Cluster.Details)
	pl := run.Plan
	p.Plan = [][2]string{
		{"scenarios", strings.Join(pl.Scenarios, ", ")},
		{"protocols", joinAny(pl.Protocols)},
		{"streams", joinAny(pl.Streams)},
		{"duration", pl.Duration.String() + " measured after " + pl.Omit.String() + " warm-up"},
		{"repeats", joinAny([]int{pl.Repeats})},
		{"order", pl.Order},
		{"variants", strings.Join(pl.Variants, ", ")},
		{"node pair", strings.Join(pl.Nodes, ", ")},
	}
	if pl.UDPRate > 0 {
		p.Plan = append(p.Plan, [2]string{"UDP rate", rate(float64(pl.UDPRate)) + " per stream"})
	}
	if pl.MsgSize > 0 {
		p.Plan = append(p.Plan, [2]string{"message size", joinAny([]int{pl.MsgSize}) + " B"})
	}
	if b := blockLine(run); b != "" {
		p.Plan = append(p.Plan, [2]string{"block size", strings.TrimPrefix(b, "block size: ")})
	}
	if m := modesLine(run); m != "" {
		p.Plan = append(p.Plan, [2]string{"modes", strings.TrimPrefix(m, "modes: ")})
	}
	for _, s := range run.Samples {
		if s.Failed() {
			p.Failures = append(p.Failures, s)
		}
	}
	var err error
	if p.Latency, err = latencyHTML(run); err != nil {
		return err
	}
	if p.Sweeps, err = sweepHTML(run); err != nil {
		return err
	}
	if p.Faults, err = faultsHTML(run); err != nil {
		return err
	}
	if p.UDPMax, err = udpMaxHTML(run); err != nil {
		return err
	}
	return pageTemplate.Execute(w, p)
}

// intervalPanels draws the intervals of every group of proto that measured
// something, all on one scale.
func intervalPanels(run *runrecord.Run, proto stats.Protocol) seriesPanels {
	variants := run.Variants()
	var measured []runrecord.Group
	for _, g := range run.Groups() {
		if s := run.Summary(g.Key); g.Key.Protocol == proto && (s == nil || s.Status != stats.StatusFailed) {
			measured = append(measured, g)
		}
	}
	sc := newSeriesScale(measured)
	sp := seriesPanels{Protocol: strings.ToUpper(string(proto)), Unit: sc.unit}
	for _, g := range measured {
		sp.Panels = append(sp.Panels, seriesChart(g, max(0, slices.Index(variants, g.Key.Variant)), sc))
	}
	return sp
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"time": func(t interface{ Format(string) string }) string { return t.Format("2006-01-02 15:04:05Z07:00") },
	"rate": func(v uint64) string { return rate(float64(v)) },
}).Parse(pageHTML))
