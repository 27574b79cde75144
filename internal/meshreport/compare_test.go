package meshreport

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/golden"
	"github.com/cnibench/cnibench/internal/meshrecord"
	"github.com/cnibench/cnibench/internal/meshrecord/meshrecordtest"
	"github.com/cnibench/cnibench/internal/report"
)

// compareFixtures are the comparisons the golden files show: "compare", a
// 4-node mesh against a 5-node one whose node-3 is slow, one test a pair,
// no gate; "compare-gate", two 5-node meshes of 3 repeats, node-3 slowed
// and node-4 → node-5 failing in the new one, gated at 5%.
func compareFixtures() map[string]*Comparison {
	pct := 5.0
	few := Compare(meshrecordtest.Mesh(meshrecordtest.Options{Nodes: 4, Slow: -1, Rate: 1e9, PodCost: 0.1, Repeats: 1}),
		renamed(meshrecordtest.Mesh(meshrecordtest.Options{Nodes: 5, Slow: 2, Rate: 1e9, PodCost: 0.1, Repeats: 1})), CompareOptions{})
	gated := Compare(meshrecordtest.Mesh(meshrecordtest.Options{Nodes: 5, Slow: -1, Rate: 1e9, PodCost: 0.1, Repeats: 3}),
		renamed(meshrecordtest.Mesh(meshrecordtest.Options{Nodes: 5, Slow: 2, Rate: 1e9, PodCost: 0.1, Repeats: 3, Fail: [2]int{3, 4}})),
		CompareOptions{RegressionPct: &pct})
	return map[string]*Comparison{"compare": few, "compare-gate": gated}
}

func renamed(m *meshrecord.Mesh) *meshrecord.Mesh {
	m.ID = "fixture2"
	return m
}

func TestCompareGolden(t *testing.T) {
	for name, c := range compareFixtures() {
		for _, f := range CompareFormats {
			var b bytes.Buffer
			if err := WriteComparison(&b, c, f); err != nil {
				t.Fatalf("%s %s: %v", name, f, err)
			}
			golden.Check(t, goldenPkg, name+"."+compareExt(f), b.Bytes())
			if f == report.Table {
				for i, line := range strings.Split(b.String(), "\n") {
					if n := len([]rune(line)); n > width {
						t.Errorf("%s table line %d is %d columns wide: %q", name, i+1, n, line)
					}
				}
			}
		}
	}
	if err := WriteComparison(io.Discard, compareFixtures()["compare"], report.HTML); err == nil || !strings.Contains(err.Error(), "table|wide|json|csv|markdown") {
		t.Errorf("html comparison: %v, want an error naming the formats", err)
	}
}

// compareExt is a comparison golden's extension ("wide.txt" for wide).
func compareExt(f report.Format) string {
	if f == report.Wide {
		return "wide.txt"
	}
	return ext[f]
}

func TestCompare(t *testing.T) {
	cs := compareFixtures()
	c := cs["compare"]
	if len(c.OnlyNew) != 1 || c.OnlyNew[0] != "node-5" || len(c.NewOut) != 2 || c.RegressionPct != nil || c.CannotJudge != nil {
		t.Errorf("only new %v, new outliers %v, gate %v %v", c.OnlyNew, c.NewOut, c.RegressionPct, c.CannotJudge)
	}
	if p := c.Pairs[0]; p.Change == nil || *p.Change > -0.7 || (p.From != "node-3" && p.To != "node-3") || p.Verdict != VerdictFewTests {
		t.Errorf("first pair %+v: want a pair of the slowed node-3, too few tests to judge", p)
	}
	g := cs["compare-gate"]
	if len(g.CannotJudge) != 0 {
		t.Errorf("gated comparison cannot judge: %v", g.CannotJudge)
	}
	regs := strings.Join(g.Regressions(), "\n")
	for _, want := range []string{"node-node node node-3 -8", "pod-pod-cross node node-3 -8", "node-node node-4→node-5 failed", "node-node node-3→node-1 -8"} {
		if !strings.Contains(regs, want) {
			t.Errorf("regressions lack %q:\n%s", want, regs)
		}
	}
	for _, r := range g.Regressions() {
		if !strings.Contains(r, "node-3") && !strings.Contains(r, "node-4→node-5") {
			t.Errorf("regression %q: only node-3's pairs and the failed pair fell", r)
		}
	}
	for _, n := range g.Nodes {
		if want := map[bool]string{true: OutlierAppeared, false: ""}[n.Node == "node-3"]; n.OutlierChange != want {
			t.Errorf("%s %s: outlier change %q, want %q", n.Scenario, n.Node, n.OutlierChange, want)
		}
	}
}

// TestCompareCannotJudge: a gate over meshes of one test a pair, or over
// meshes that share no pair, does not pass; it says why.
func TestCompareCannotJudge(t *testing.T) {
	pct := 5.0
	for _, tc := range []struct {
		name     string
		old, new meshrecordtest.Options
		want     []string
	}{
		{"one repeat", meshrecordtest.Options{Nodes: 4, Slow: -1, Rate: 1e9, Repeats: 1}, meshrecordtest.Options{Nodes: 4, Slow: -1, Rate: 1e9, Repeats: 1},
			[]string{"too few tests for an interval", "--repeats 3"}},
		{"a node gone", meshrecordtest.Options{Nodes: 5, Slow: -1, Rate: 1e9, Repeats: 3}, meshrecordtest.Options{Nodes: 4, Slow: -1, Rate: 1e9, Repeats: 3},
			[]string{"of the old mesh are not in the new one"}},
		{"decided", meshrecordtest.Options{Nodes: 4, Slow: -1, Rate: 1e9, Repeats: 3}, meshrecordtest.Options{Nodes: 4, Slow: -1, Rate: 1e9, Repeats: 3}, nil},
	} {
		c := Compare(meshrecordtest.Mesh(tc.old), meshrecordtest.Mesh(tc.new), CompareOptions{RegressionPct: &pct})
		got := strings.Join(c.CannotJudge, "\n")
		if len(tc.want) == 0 && got != "" {
			t.Errorf("%s: cannot judge: %s", tc.name, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: reasons %q lack %q", tc.name, got, w)
			}
		}
		if len(c.Regressions()) != 0 {
			t.Errorf("%s: regressions %v in unchanged meshes", tc.name, c.Regressions())
		}
	}
}
