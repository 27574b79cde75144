package report

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/runrecord/runrecordtest"
	"github.com/cnibench/cnibench/internal/stats"
)

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    Format
		wantErr bool
	}{
		{"table", Table, false}, {"json", JSON, false}, {"csv", CSV, false}, {"markdown", Markdown, false},
		{"md", Markdown, false}, {"html", HTML, false}, {"xml", "", true}, {"", "", true},
	}
	for _, tt := range tests {
		got, err := ParseFormat(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseFormat(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func smallRun() *runrecord.Run {
	return runrecordtest.Build(runrecordtest.Options{Variants: []string{""}, Scenarios: []string{"node-node", "pod-node"}, Protocols: []stats.Protocol{stats.TCP}, Repeats: 3})
}

func TestWriteOutDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	var out bytes.Buffer
	written, err := Write(smallRun(), Options{Format: Markdown, Out: &out, OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range written {
		names = append(names, filepath.Base(p))
	}
	if want := []string{"run.txt", "run.json", "run.csv", "run.md", "run.html", "run.om"}; !slices.Equal(names, want) {
		t.Errorf("wrote %v, want %v", names, want)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "run.md"))
	if !bytes.Equal(md, out.Bytes()) {
		t.Error("the Markdown on Out differs from run.md")
	}
	back, err := runrecord.ReadFile(filepath.Join(dir, "run.json"))
	if err != nil || len(back.Samples) != 6 {
		t.Errorf("run.json: %v", err)
	}
	// and the file renders again, the same way
	var again bytes.Buffer
	if _, err := File(filepath.Join(dir, "run.json"), Options{Format: Markdown, Out: &again}); err != nil || !bytes.Equal(again.Bytes(), md) {
		t.Errorf("re-rendering run.json: %v", err)
	}
	if _, err := File(filepath.Join(dir, "missing.json"), Options{Out: &again}); err == nil {
		t.Error("rendering a missing file succeeded")
	}
}

func TestRenderSummarisesUnsummarisedRun(t *testing.T) {
	run := smallRun()
	run.Summaries = nil
	var buf bytes.Buffer
	if err := Render(&buf, run, Table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "baseline") || run.Summaries != nil {
		t.Errorf("rendered without summaries (or changed the caller's run):\n%s", buf.String())
	}
	if err := Render(&buf, run, "xml"); err == nil {
		t.Error("an unknown format rendered")
	}
}

func TestNumberFormats(t *testing.T) {
	tests := []struct{ got, want string }{
		{rate(9.406e9), "9.406 Gbit/s"},
		{rate(12.68e9), "12.68 Gbit/s"},
		{rate(99.98e6), "99.98 Mbit/s"},
		{rate(512e3), "512.0 kbit/s"},
		{rate(12), "12.00 bit/s"},
		{pct(0.0741), "7.41%"},
		{pct(0.0014), "0.14%"},
		{pct(-0.351), "-35.10%"},
		{pct(-0.00001), "0.00%"},
		{pct(0), "0.00%"}, // one precision per column: a floor of 0 reads like the others
		{mark("3.10%", true), "3.10%*"},
		{mark("3.10%", false), "3.10%"},
		{scaleFor(9.38e9).format(9.38e9), "9.380"},
		{scaleFor(9.38e9).format(0.945e9), "0.945"},
		{scaleFor(499.9e6).format(499.9e6), "499.9"},
		{fitList([]string{"a b", "c d", "e f"}, 12), "a b, … +2"},
		{fitList([]string{"a b", "c d"}, 12), "a b, c d"},
		{wrap("  one two three", 9, "    "), "  one two\n    three"},
		{signedPct(0.031), "+3.10%"},
		{signedPct(-0.045), "-4.50%"},
		{pctRange(&stats.Interval{Low: 0.056, High: 0.071}), "5.60–7.10%"},
		{pctRange(&stats.Interval{Low: -0.0043, High: 0.0076}), "-0.43 – 0.76%"},
		{pctRange(nil), "n/a"},
		{rateRange(&stats.Interval{Low: 9.329e9, High: 9.409e9}, 9.38e9), "9.329–9.409"},
		{pvalue(0.0079), "0.008"},
		{pvalue(0.0001), "<0.001"},
		{mdEscape("a|b <c> *d* ~e"), `a\|b &lt;c&gt; \*d\* \~e`},
		{shortVariant("datapath=vxlan,mtu=9000"), "vxlan,9000"},
		{tickLabel(2.5), "2.5"},
		{tickLabel(-0), "0"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		n      int
		want   []float64
	}{
		{0, 9.43, 6, []float64{0, 2, 4, 6, 8, 10}},
		{0, 12.7, 6, []float64{0, 2.5, 5, 7.5, 10, 12.5, 15}},
		{-35.9, 8.7, 6, []float64{-40, -30, -20, -10, 0, 10}},
		{-0.5, 0.5, 6, []float64{-0.6, -0.4, -0.2, 0, 0.2, 0.4, 0.6}},
		{0, 0.19, 4, []float64{0, 0.05, 0.1, 0.15, 0.2}},
		{0, 0, 4, []float64{0, 0.25, 0.5, 0.75, 1}},
	}
	for _, tt := range tests {
		if got := niceTicks(tt.lo, tt.hi, tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("niceTicks(%v, %v, %d) = %v, want %v", tt.lo, tt.hi, tt.n, got, tt.want)
		}
	}
}

// TestPathCell: a row's path in a few characters, "-" when the run
// recorded none (an older record, a group whose path was not found).
func TestPathCell(t *testing.T) {
	for _, tc := range []struct {
		p    *runrecord.Path
		want string
	}{
		{nil, "-"},
		{&runrecord.Path{}, "-"},
		{&runrecord.Path{Datapath: "host", MTU: 1500, UnderlayMTU: 1500}, "host 1500"},
		{&runrecord.Path{Datapath: "host", MTU: 9000, UnderlayMTU: 1500}, "host 9000/1500"},
		{&runrecord.Path{Datapath: "routed", MTU: 1500, UnderlayMTU: 1500}, "routed 1500/1500"},
		{&runrecord.Path{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 1450, UnderlayMTU: 1500}, "vxlan+50 1450/1500"},
		{&runrecord.Path{Datapath: "vxlan", MTU: 1450, UnderlayMTU: 1500}, "vxlan 1450/1500"},
		{&runrecord.Path{Datapath: "bridge", MTU: 1450}, "bridge 1450"},
		{&runrecord.Path{Datapath: "unknown", Encapsulated: true, UnderlayMTU: 1500}, "unknown+? ?/1500"},
		{&runrecord.Path{Datapath: "unknown"}, "unknown"},
	} {
		if got := pathCell(tc.p); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.p, got, tc.want)
		}
	}
}
