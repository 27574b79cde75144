package report

import (
	"bytes"
	"html/template"

	"github.com/cnibench/cnibench/internal/runrecord"
)

// latencyHTML is the HTML page's latency section: one table per variant,
// the warnings, and the legend; "" when the run has no latency tests.
func latencyHTML(run *runrecord.Run) (template.HTML, error) {
	if len(run.LatencySummaries) == 0 {
		return "", nil
	}
	type section struct {
		Variant string
		Rows    []latencyCells
		Notes   []string
	}
	var data struct {
		Sections []section
		Legend   string
		Charts   []template.HTML
	}
	for _, sec := range latencySections(run) {
		hs := section{Variant: sec[0].Variant}
		for _, s := range sec {
			hs.Rows = append(hs.Rows, latencySummaryCells(s))
			for _, wn := range s.Warnings {
				hs.Notes = append(hs.Notes, latencyLabel(s.LatencyKey)+": "+wn.Message)
			}
		}
		data.Sections = append(data.Sections, hs)
	}
	data.Legend = latencyLegend(run)
	data.Charts = percentileCharts(run)
	var b bytes.Buffer
	if err := latencyTemplate.Execute(&b, data); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil // html/template escaped every value
}

var latencyTemplate = template.Must(template.New("latency").Parse(`<section id="latency">
<h2>Latency</h2>
{{range .Sections}}
{{if .Variant}}<h3>{{.Variant}}</h3>{{end}}
<div class="scroll"><table class="summary">
<thead><tr><th class="l">scenario</th><th class="l">test</th><th>n</th><th>p50</th><th>95% CI</th><th>p50 +</th><th>95% CI</th><th>p99</th><th>95% CI</th><th>p99 +</th><th>trans/s</th><th class="l">notes</th></tr></thead>
<tbody>
{{range .Rows}}<tr{{if .Baseline}} class="base"{{else if .Failed}} class="failed"{{end}}><td class="l">{{.Scenario}}</td><td class="l">{{.Test}}</td><td>{{.N}}</td><td>{{.P50}}</td><td>{{.P50CI}}</td><td{{if .NotSignif50}} class="ns"{{end}}>{{.P50Delta}}</td><td>{{.P50DCI}}</td><td>{{.P99}}</td><td>{{.P99CI}}</td><td>{{.P99Delta}}</td><td>{{.PerSecond}}</td><td class="l notes">{{.Notes}}</td></tr>
{{end}}</tbody>
</table></div>
{{if .Notes}}<ul class="notes">{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{end}}
<p class="legend-text">{{.Legend}}</p>
{{if .Charts}}<h3>Percentiles</h3>
<p class="legend-text">One line per repeat through its min, p50, p90, p99 and p99.9; latency on a log axis, percentiles spaced by their nines.</p>
<div class="series-grid">{{range .Charts}}{{.}}{{end}}</div>{{end}}
</section>
`))
