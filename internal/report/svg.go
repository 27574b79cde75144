package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// svg builds one inline SVG chart by hand: no script, no external resource.
// Colours and fonts come from the page's stylesheet through classes.
type svg struct {
	b    strings.Builder
	w, h float64
}

func newSVG(w, h float64, title string) *svg {
	s := &svg{w: w, h: h}
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="%s">`,
		coord(w), coord(h), coord(w), coord(h), esc(title))
	fmt.Fprintf(&s.b, "<title>%s</title>", esc(title))
	return s
}

// coord formats an SVG coordinate or length with one decimal.
func coord(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func esc(s string) string { return html.EscapeString(s) }

// tip is an SVG tooltip child element, or nothing.
func tip(t string) string {
	if t == "" {
		return ""
	}
	return "<title>" + esc(t) + "</title>"
}

func (s *svg) rect(x, y, w, h float64, class, tooltip string) {
	if w < 0 {
		x, w = x+w, -w
	}
	fmt.Fprintf(&s.b, `<rect x="%s" y="%s" width="%s" height="%s" class="%s">%s</rect>`, coord(x), coord(y), coord(w), coord(h), class, tip(tooltip))
}

func (s *svg) line(x1, y1, x2, y2 float64, class string) {
	fmt.Fprintf(&s.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" class="%s"/>`, coord(x1), coord(y1), coord(x2), coord(y2), class)
}

func (s *svg) text(x, y float64, anchor, class, t string) {
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" text-anchor="%s" class="%s">%s</text>`, coord(x), coord(y), anchor, class, esc(t))
}

func (s *svg) circle(x, y, r float64, class, tooltip string) {
	fmt.Fprintf(&s.b, `<circle cx="%s" cy="%s" r="%s" class="%s">%s</circle>`, coord(x), coord(y), coord(r), class, tip(tooltip))
}

func (s *svg) polyline(pts [][2]float64, class, tooltip string) {
	var p []string
	for _, pt := range pts {
		p = append(p, coord(pt[0])+","+coord(pt[1]))
	}
	fmt.Fprintf(&s.b, `<polyline points="%s" class="%s">%s</polyline>`, strings.Join(p, " "), class, tip(tooltip))
}

// polygon is a filled shape through pts (a band).
func (s *svg) polygon(pts [][2]float64, class string) {
	var p []string
	for _, pt := range pts {
		p = append(p, coord(pt[0])+","+coord(pt[1]))
	}
	fmt.Fprintf(&s.b, `<polygon points="%s" class="%s"/>`, strings.Join(p, " "), class)
}

// cut marks a bar cut short at x: two pale slashes across it, of half-height h.
func (s *svg) cut(x, y, h float64) {
	for _, dx := range []float64{-3, 3} {
		s.line(x+dx-2, y+h, x+dx+2, y-h, "cut")
	}
}

func (s *svg) html() template.HTML {
	return template.HTML(s.b.String() + "</svg>") // built from escaped parts only
}

// scale maps the domain [d0, d1] onto the range [r0, r1].
type scale struct{ d0, d1, r0, r1 float64 }

func (s scale) at(v float64) float64 {
	if s.d1 == s.d0 {
		return s.r0
	}
	return s.r0 + (v-s.d0)/(s.d1-s.d0)*(s.r1-s.r0)
}

// clamp is at(v) held inside the range: where a value beyond the axis is cut.
func (s scale) clamp(v float64) float64 {
	lo, hi := min(s.r0, s.r1), max(s.r0, s.r1)
	return min(hi, max(lo, s.at(v)))
}

// outside says whether v lies beyond the domain.
func (s scale) outside(v float64) bool { return v < min(s.d0, s.d1) || v > max(s.d0, s.d1) }

// niceTicks returns about n round tick values covering [lo, hi], the first
// and last at or beyond the ends, so they also serve as the domain.
func niceTicks(lo, hi float64, n int) []float64 {
	if !(hi > lo) {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	decimals := max(0, 1-int(math.Floor(math.Log10(step)))) // enough for steps like 2.5·10^k
	var ticks []float64
	for k := math.Floor(lo / step); ; k++ {
		// k·step rounded to the step's decimals: 0.6, not 0.6000000000000001
		v, _ := strconv.ParseFloat(strconv.FormatFloat(k*step, 'f', decimals, 64), 64)
		ticks = append(ticks, v)
		if v >= hi-step*1e-9 {
			break
		}
	}
	return ticks
}

// tickLabel formats a tick value without needless decimals.
func tickLabel(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// xAxis draws vertical grid lines with labels below the plot and a title.
func (s *svg) xAxis(x scale, ticks []float64, top, bottom float64, suffix, title string) {
	for _, t := range ticks {
		px := x.at(t)
		class := "grid"
		if t == 0 {
			class = "zero"
		}
		s.line(px, top, px, bottom, class)
		s.text(px, bottom+14, "middle", "tick", tickLabel(t)+suffix)
	}
	s.text((x.r0+x.r1)/2, bottom+32, "middle", "axis", title)
}

// legend draws coloured keys in a row at y from x, returning the x after.
func (s *svg) legend(x, y float64, keys []legendKey) float64 {
	for _, k := range keys {
		switch k.shape {
		case "line":
			s.line(x, y-9, x, y+3, k.class)
		case "cut":
			s.rect(x, y-9, 12, 12, "nskey", "")
			s.cut(x+6, y-3, 7)
		default:
			s.rect(x, y-9, 12, 12, k.class, "")
		}
		s.text(x+17, y+1, "start", "legend", k.label)
		x += 30 + 7*float64(len(k.label))
	}
	return x
}

type legendKey struct{ class, label, shape string }
