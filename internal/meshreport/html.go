package meshreport

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/cnibench/cnibench/internal/meshrecord"
	"github.com/cnibench/cnibench/internal/units"
)

// writeHTML is a self-contained page: per scenario an N×N heatmap (inline
// SVG, a diverging scale around the cluster median, each cell's figure in
// its <title>), the outliers and the node scores.
func writeHTML(w io.Writer, m *meshrecord.Mesh) error {
	type section struct {
		Name, Median, Error string
		Outliers            []string
		Heatmap             template.HTML
		Nodes               []meshrecord.NodeSummary
		Unit                string
		Div                 float64
	}
	var secs []section
	for _, sa := range m.Analysis.Scenarios {
		div, u := unit(sa)
		s := section{Name: sa.Scenario, Error: sa.Error, Outliers: sa.Outliers, Nodes: sa.Nodes, Unit: u, Div: div}
		if sa.Median != nil {
			s.Median = units.FormatRate(*sa.Median)
			s.Heatmap = heatmap(m, sa)
		}
		secs = append(secs, s)
	}
	return pageTemplate.Execute(w, map[string]any{
		"M": m, "Status": status(m), "Plan": m.Describe(), "Sections": secs,
	})
}

// heatmap draws the matrix of sa as SVG: blue above the cluster median,
// red below, white at it, saturating at ±50%.
func heatmap(m *meshrecord.Mesh, sa meshrecord.ScenarioAnalysis) template.HTML {
	n := len(m.Nodes)
	cell := max(6, min(36, 720/max(n, 1)))
	label := 0
	for _, nd := range m.Nodes {
		label = max(label, len(nd.Name))
	}
	off := label*7 + 10
	size := off + n*cell
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="%s: goodput of each pair, rows send, columns receive">`,
		size+10, size+10, template.HTMLEscapeString(sa.Scenario))
	for i, nd := range m.Nodes {
		name := template.HTMLEscapeString(nd.Name)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="end">%s</text>`, off-4, off+i*cell+cell/2+4, name)
		fmt.Fprintf(&b, `<text transform="translate(%d,%d) rotate(-90)" font-size="11">%s</text>`, off+i*cell+cell/2+4, off-4, name)
	}
	med := *sa.Median
	for i := range m.Nodes {
		for j := range m.Nodes {
			x, y := off+j*cell, off+i*cell
			if i == j {
				fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#ddd"/>`, x, y, cell, cell)
				continue
			}
			p := sa.Pair(i, j)
			title := fmt.Sprintf("%s → %s: not measured", m.NodeName(i), m.NodeName(j))
			fill := "#fff"
			switch {
			case p == nil:
			case p.Median == nil:
				title = fmt.Sprintf("%s → %s: failed (%s)", m.NodeName(i), m.NodeName(j), tests(p.Failed))
				fill = "#888"
			default:
				d := *p.Median/med - 1
				title = fmt.Sprintf("%s → %s: %s (%+.1f%% vs the cluster median, %s)", m.NodeName(i), m.NodeName(j), units.FormatRate(*p.Median), d*100, tests(p.N))
				fill = diverging(d)
			}
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#fff"><title>%s</title></rect>`,
				x, y, cell, cell, fill, template.HTMLEscapeString(title))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // #nosec: every text above is escaped
}

// tests is "1 test", "6 tests".
func tests(n int) string {
	if n == 1 {
		return "1 test"
	}
	return fmt.Sprintf("%d tests", n)
}

// diverging maps a relative deviation to a colour: red below 0, blue
// above, white at 0, full at ±50%.
func diverging(d float64) string {
	t := math.Max(-1, math.Min(1, d/0.5))
	c := func(a float64) int { return int(math.Round(255 - a*(255-60))) }
	if t < 0 {
		return fmt.Sprintf("#%02x%02x%02x", 255, c(-t), c(-t))
	}
	return fmt.Sprintf("#%02x%02x%02x", c(t), c(t), 255)
}

var pageTemplate = template.Must(template.New("mesh").Funcs(template.FuncMap{
	"num": func(v *float64, div float64) string {
		if v == nil {
			return "-"
		}
		return units.FormatFigure(*v / div)
	},
	"pct": func(v float64) string { return fmt.Sprintf("%+.1f%%", v*100) },
	"z":   func(v float64) string { return fmt.Sprintf("%+.1f", v) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>cnibench mesh {{.M.ID}}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}td,th{padding:2px 8px;text-align:right}
th{border-bottom:1px solid #999}td:first-child,th:first-child{text-align:left}.out{color:#b00;font-weight:bold}</style></head>
<body>
<h1>cnibench mesh {{.M.ID}}</h1>
<p>{{.M.Cluster.Kind}} {{.M.Cluster.Name}} · {{len .M.Nodes}} nodes · {{.M.Started.Format "2006-01-02 15:04 UTC"}} · {{.Status}}</p>
<ul>{{range .M.Cluster.Facts}}<li>{{.}}</li>{{end}}<li>plan: {{.Plan}}</li>{{range .M.Skipped}}<li>skipped {{.Name}}: {{.Reason}}</li>{{end}}</ul>
{{range .Sections}}{{$s := .}}
<h2>{{.Name}}</h2>
{{if .Error}}<p>{{.Error}}</p>{{else}}
<p>Cluster median {{.Median}}. Rows send, columns receive; red below the median, blue above (full colour at ±50%); hover a cell for its figure.</p>
{{if .Outliers}}<p>Outliers:</p><ul>{{range .Outliers}}<li class="out">{{.}}</li>{{end}}</ul>{{else}}<p>No outlier.</p>{{end}}
{{.Heatmap}}
<table><tr><th>node</th><th>pairs</th><th>median ({{.Unit}})</th><th>vs cluster</th><th>z</th></tr>
{{range .Nodes}}<tr{{if .Outlier}} class="out"{{end}}><td>{{.Name}}</td><td>{{.Pairs}}</td><td>{{num .Median $s.Div}}</td><td>{{pct .Deviation}}</td><td>{{z .Z}}</td></tr>
{{end}}</table>{{end}}
{{end}}
</body></html>
`))
