package report

import (
	"encoding/json"
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
	Series     []template.HTML
	Run        *runrecord.Run
	Details    string // the cluster's backend details as JSON
	Plan       [][2]string
	Failures   []runrecord.Sample
	CommandRaw string
	Latency    template.HTML // the latency section (latencyhtml.go)
}

type htmlSection struct {
	Variant string
	Rows    []cells
	Notes   []string
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
		hs := htmlSection{Variant: sec.Variant}
		for _, s := range sec.Summaries {
			hs.Rows = append(hs.Rows, runCells(run, s))
			for _, wn := range s.Warnings {
				hs.Notes = append(hs.Notes, label(s.Key)+": "+wn.Message)
			}
		}
		p.Sections = append(p.Sections, hs)
	}
	groups := map[stats.Key]runrecord.Group{}
	variants := run.Variants()
	for _, g := range run.Groups() {
		groups[g.Key] = g
		if s := run.Summary(g.Key); s == nil || s.Status != stats.StatusFailed {
			p.Series = append(p.Series, seriesChart(run, g, max(0, slices.Index(variants, g.Key.Variant))))
		}
	}
	for _, proto := range run.Protocols() {
		p.Charts = append(p.Charts, protoCharts{
			Protocol: strings.ToUpper(string(proto)),
			Goodput:  goodputChart(run, proto),
			Overhead: overheadChart(run, proto),
			Strips:   stripChart(run, proto, groups),
			RTT:      rttChart(run, proto),
		})
	}
	if run.Cluster.Details != nil {
		b, err := json.MarshalIndent(run.Cluster.Details, "", "  ")
		if err == nil {
			p.Details = string(b)
		}
	}
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
	for _, s := range run.Samples {
		if s.Failed() {
			p.Failures = append(p.Failures, s)
		}
	}
	var err error
	if p.Latency, err = latencyHTML(run); err != nil {
		return err
	}
	return pageTemplate.Execute(w, p)
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"time": func(t interface{ Format(string) string }) string { return t.Format("2006-01-02 15:04:05Z07:00") },
	"rate": func(v uint64) string { return rate(float64(v)) },
}).Parse(pageHTML))
