package report

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"strings"

	"github.com/cnibench/cnibench/internal/runrecord"
)

// sweepX places a knob's values on the chart's x axis: linear, or log10
// when the positive values span two decades or more, where 0 (no policy
// rules, say) sits one decade before the smallest positive value.
type sweepX struct {
	log     bool
	zeroPos float64
}

func newSweepX(b sweepBlock) sweepX {
	lo, hi := math.Inf(1), 0.0
	for _, sw := range b.Curves {
		for _, p := range sw.Points {
			if p.Value > 0 {
				lo, hi = min(lo, p.Value), max(hi, p.Value)
			}
		}
	}
	if hi > 0 && hi/lo >= 100 {
		return sweepX{log: true, zeroPos: math.Log10(lo) - 1}
	}
	return sweepX{}
}

func (x sweepX) pos(v float64) float64 {
	if !x.log {
		return v
	}
	if v <= 0 {
		return x.zeroPos
	}
	return math.Log10(v)
}

// sweepChart draws a block's curves: per scenario its median goodput along
// the knob, joined, over the band of its medians' 95% intervals; every
// value is a tick with the flag's spelling.
func sweepChart(b sweepBlock) template.HTML {
	const w, h, left, right, top, bottom = 640.0, 300.0, 56.0, 150.0, 28.0, 44.0
	xs := newSweepX(b)
	lo, hi := math.Inf(1), math.Inf(-1)
	yTop := 0.0
	for _, sw := range b.Curves {
		for _, p := range sw.Points {
			lo, hi = min(lo, xs.pos(p.Value)), max(hi, xs.pos(p.Value))
			if p.Goodput != nil {
				yTop = max(yTop, *p.Goodput)
				if p.CI != nil {
					yTop = max(yTop, p.CI.High)
				}
			}
		}
	}
	if yTop <= 0 || !(hi > lo) {
		return ""
	}
	yt := niceTicks(0, yTop/b.scale.div, 5)
	y := scale{0, yt[len(yt)-1], h - bottom, top}
	x := scale{lo, hi, left + 10, w - right - 10}
	title := strings.TrimPrefix(b.heading(), "SWEEP ")
	s := newSVG(w, h, "Goodput along "+title)
	s.text(4, 16, "start", "stitle", b.Knob+" · "+strings.Join(nonEmpty(b.Fixed, string(b.Protocol)), " · "))
	for _, t := range yt {
		s.line(left, y.at(t), w-right, y.at(t), "grid")
		s.text(left-4, y.at(t)+4, "end", "tick", tickLabel(t))
	}
	for _, l := range b.labels() {
		for _, sw := range b.Curves {
			if p := pointAt(sw, l); p != nil {
				px := x.at(xs.pos(p.Value))
				s.line(px, top, px, h-bottom, "grid")
				s.text(px, h-bottom+14, "middle", "tick", l)
				break
			}
		}
	}
	axis := b.Knob
	if xs.log {
		axis += " (log)"
	}
	s.text((left+w-right)/2, h-8, "middle", "axis", axis+"; goodput in "+b.scale.unit)
	for i, sw := range b.Curves {
		var band, upper, line [][2]float64
		for _, p := range sw.Points {
			if p.Goodput == nil {
				continue
			}
			px := x.at(xs.pos(p.Value))
			line = append(line, [2]float64{px, y.at(*p.Goodput / b.scale.div)})
			if p.CI != nil {
				band = append(band, [2]float64{px, y.at(p.CI.Low / b.scale.div)})
				upper = append([][2]float64{{px, y.at(p.CI.High / b.scale.div)}}, upper...)
			}
		}
		cls := variantClass(i)
		if len(band) > 1 {
			s.polygon(append(band, upper...), "band "+cls)
		}
		s.polyline(line, "series "+cls, sw.Scenario)
		for _, p := range sw.Points {
			if p.Goodput != nil {
				s.circle(x.at(xs.pos(p.Value)), y.at(*p.Goodput/b.scale.div), 3, "dot "+cls, pointTip(b, sw, p))
			}
		}
		if sw.Knee != nil {
			if p := pointAt(sw, sw.Knee.ToLabel); p != nil && p.Goodput != nil {
				s.text(x.at(xs.pos(p.Value)), y.at(*p.Goodput/b.scale.div)-8, "middle", "fail", fmt.Sprintf("knee −%.0f%%", 100*sw.Knee.Drop))
			}
		}
		s.rect(w-right+12, top+float64(i)*18-9, 12, 12, cls, "")
		s.text(w-right+29, top+float64(i)*18+1, "start", "legend", sw.Scenario)
	}
	return s.html()
}

// pointTip is a point's tooltip: its value, median, interval and overhead.
func pointTip(b sweepBlock, sw runrecord.Sweep, p runrecord.SweepPoint) string {
	t := fmt.Sprintf("%s at %s %s: %s %s", sw.Scenario, b.Knob, p.Label, b.scale.format(*p.Goodput), b.scale.unit)
	if p.CI != nil {
		t += " (95% CI " + b.scale.interval(p.CI) + ")"
	}
	if p.Overhead != nil {
		t += ", overhead " + pct(*p.Overhead)
	}
	return t
}

func pointAt(sw runrecord.Sweep, label string) *runrecord.SweepPoint {
	for i := range sw.Points {
		if sw.Points[i].Label == label {
			return &sw.Points[i]
		}
	}
	return nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// sweepHTML is the page's sweep section: per knob a chart, the table and
// the knees; "" when the run swept no knob.
func sweepHTML(run *runrecord.Run) (template.HTML, error) {
	blocks := sweepBlocks(run)
	if len(blocks) == 0 {
		return "", nil
	}
	type block struct {
		Heading string
		Chart   template.HTML
		Labels  []string
		Rows    [][]string
		Knees   []string
	}
	var data struct {
		Blocks []block
		Legend string
	}
	for _, b := range blocks {
		hb := block{Heading: strings.TrimPrefix(b.heading(), "SWEEP "), Chart: sweepChart(b), Labels: b.labels()}
		for _, sw := range b.Curves {
			row := b.row(sw, true)
			hb.Rows = append(hb.Rows, row)
			if sw.Knee != nil {
				hb.Knees = append(hb.Knees, kneeLine(b, sw))
			}
		}
		data.Blocks = append(data.Blocks, hb)
	}
	data.Legend = sweepLegend(run)
	var buf bytes.Buffer
	if err := sweepTemplate.Execute(&buf, data); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil // html/template escaped every value
}

var sweepTemplate = template.Must(template.New("sweeps").Parse(`<section id="sweeps">
<h2>Sweeps</h2>
{{range .Blocks}}
<h3>{{.Heading}}</h3>
{{.Chart}}
<div class="scroll"><table class="summary">
<thead><tr><th class="l">scenario</th>{{range .Labels}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range $i, $c := .}}<td{{if not $i}} class="l"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
{{if .Knees}}<ul class="notes">{{range .Knees}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{end}}
<p class="legend-text">{{.Legend}}</p>
</section>
`))
