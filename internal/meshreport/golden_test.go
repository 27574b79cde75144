package meshreport

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/golden"
	"github.com/cnibench/cnibench/internal/meshrecord/meshrecordtest"
	"github.com/cnibench/cnibench/internal/report"
)

// goldenPkg is this package for golden.Check's hints.
const goldenPkg = "./internal/meshreport"

func TestGolden(t *testing.T) {
	fixtures := map[string]meshrecordtest.Options{
		"slow":  {Nodes: 8, Slow: 4, Rate: 1e9, PodCost: 0.12, Repeats: 1, Fail: [2]int{6, 7}},
		"zones": {Nodes: 5, Slow: -1, Rate: 9.4e9, PodCost: 0.3, Repeats: 6, Zones: []string{"eu-1a", "eu-1b"}},
		"wide":  {Nodes: 20, Slow: 13, Rate: 1e9, PodCost: 0.05, Repeats: 1},
	}
	for name, o := range fixtures {
		m := meshrecordtest.Mesh(o)
		for _, f := range Formats {
			var b bytes.Buffer
			if err := Render(&b, m, f); err != nil {
				t.Fatalf("%s %s: %v", name, f, err)
			}
			golden.Check(t, goldenPkg, name+"."+ext[f], b.Bytes())
			if f == report.Table {
				for i, line := range strings.Split(b.String(), "\n") {
					if n := len([]rune(line)); n > width {
						t.Errorf("%s table line %d is %d columns wide: %q", name, i+1, n, line)
					}
				}
			}
		}
	}
}

// TestHeatmap: every measured cell carries its figure in a <title>, and
// the scale diverges around the median.
func TestHeatmap(t *testing.T) {
	m := analyzed(meshrecordtest.Mesh(meshrecordtest.Options{Nodes: 4, Slow: 1, Rate: 1e9, Repeats: 1}))
	svg := string(heatmap(m, m.Analysis.Scenarios[0]))
	if got := strings.Count(svg, "<title>"); got != 12 {
		t.Errorf("%d cell titles, want 12", got)
	}
	if !strings.Contains(svg, "<title>node-2 → node-1: 202.6 Mbit/s (-65.8% vs the cluster median, 1 test)</title>") {
		t.Errorf("no title for the slow pair in %s", svg)
	}
	for _, tc := range []struct {
		d    float64
		want string
	}{{0, "#ffffff"}, {-0.5, "#ff3c3c"}, {-2, "#ff3c3c"}, {0.5, "#3c3cff"}} {
		if got := diverging(tc.d); got != tc.want {
			t.Errorf("diverging(%v) = %s, want %s", tc.d, got, tc.want)
		}
	}
}

func TestPlan(t *testing.T) {
	m := meshrecordtest.Mesh(meshrecordtest.Options{Nodes: 5, Slow: -1, Rate: 1e9, Repeats: 1})
	m.Tests, m.Complete, m.Finished = nil, false, time.Time{}
	var b bytes.Buffer
	WritePlan(&b, m, 1200*time.Millisecond)
	golden.Check(t, goldenPkg, "plan.txt", b.Bytes())
}

func TestParseFormat(t *testing.T) {
	if _, err := ParseFormat("openmetrics"); err == nil || !strings.Contains(err.Error(), "table|json|csv|markdown|html") {
		t.Errorf("openmetrics: %v", err)
	}
	if f, err := ParseFormat("md"); err != nil || f != report.Markdown {
		t.Errorf("md: %v %v", f, err)
	}
}
