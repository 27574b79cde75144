package report

import (
	"bytes"
	"html/template"

	"github.com/cnibench/cnibench/internal/runrecord"
)

// udpMaxHTML is the HTML report's udp-max section: the table of the
// terminal, each rate with a bar against the section's highest.
func udpMaxHTML(run *runrecord.Run) (template.HTML, error) {
	if len(run.UDPMax) == 0 {
		return "", nil
	}
	type row struct {
		Cells    []string
		BarPct   float64 // 0: no bar (no rate)
		Baseline bool
		Failed   bool
	}
	type section struct {
		Heading string
		Rows    []row
	}
	var data struct {
		Heads    []string
		Sections []section
		Legend   string
	}
	data.Heads, data.Legend = udpMaxHeads, udpMaxLegend
	for _, sec := range udpMaxSections(run) {
		top := 0.0
		for _, m := range sec {
			top = max(top, m.RateBps)
		}
		hs := section{Heading: udpMaxHeading(run, sec[0].Variant)}
		for _, m := range sec {
			r := row{Cells: udpMaxCells(m), Baseline: m.BaselineScenario == m.Scenario, Failed: m.Error != ""}
			if m.Found && top > 0 {
				r.BarPct = 100 * m.RateBps / top
			}
			hs.Rows = append(hs.Rows, r)
		}
		data.Sections = append(data.Sections, hs)
	}
	var b bytes.Buffer
	if err := udpMaxTemplate.Execute(&b, data); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil // html/template escaped every value
}

var udpMaxTemplate = template.Must(template.New("udpmax").Parse(`<section id="udp-max">
<h2>UDP maximum loss-free rate</h2>
{{range .Sections}}
<h3>{{.Heading}}</h3>
<div class="scroll"><table class="summary">
<thead><tr>{{range $i, $h := $.Heads}}<th{{if or (eq $i 0) (eq $i 1) (eq $i 7)}} class="l"{{end}}>{{$h}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr{{if .Baseline}} class="base"{{else if .Failed}} class="failed"{{end}}>{{range $i, $c := .Cells}}<td{{if or (eq $i 0) (eq $i 1)}} class="l"{{else if eq $i 7}} class="l notes"{{end}}>{{$c}}</td>{{end}}</tr>
{{if .BarPct}}<tr class="bar"><td colspan="8"><div style="background:#4a7fb5;height:4px;width:{{printf "%.1f" .BarPct}}%"></div></td></tr>
{{end}}{{end}}</tbody>
</table></div>
{{end}}
<p class="legend-text">{{.Legend}}</p>
</section>`))
