package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cnibench/cnibench/internal/golden"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/runrecord/runrecordtest"
	"github.com/cnibench/cnibench/internal/stats"
)

// goldenPkg is this package for golden.Check's hints.
const goldenPkg = "./internal/report"

// fixtures are the runs the golden files show.
func fixtures() map[string]*runrecord.Run {
	partial := runrecordtest.Build(runrecordtest.Options{
		Variants: []string{""}, Scenarios: []string{"node-node", "pod-pod-cross"}, Protocols: []stats.Protocol{stats.TCP}, Repeats: 2,
		Discard: true, // the kube run discarded what TCP receivers got (--discard), and its servers say so
	})
	partial.Complete = false
	partial.Cluster.Kind, partial.Cluster.Name, partial.Cluster.Details = "kube", "kind-e2e", nil
	partial.Cluster.Facts = []string{
		"Kubernetes v1.34.4",
		"CNI flannel (backend host-gw), datapath routed: pod→pod across nodes not encapsulated",
		"node-1: Debian GNU/Linux 12 (bookworm), kernel 6.1.0-28-amd64, amd64, containerd://1.7.24, InternalIP 198.18.0.1, MTU 1500, pod MTU 1500",
		"node-2: Debian GNU/Linux 12 (bookworm), kernel 6.1.0-28-amd64, amd64, containerd://1.7.24, InternalIP 198.18.0.2, MTU 1500, pod MTU 1500",
	}
	small := runrecordtest.Build(runrecordtest.Options{
		Variants: []string{"datapath=vxlan"}, Scenarios: []string{"node-node", "pod-pod-cross"}, Protocols: []stats.Protocol{stats.TCP}, Repeats: 3,
	})
	small.Cluster.Facts = []string{"emulated on one host: 2 nodes × 2 pods, network namespaces joined by veths"}
	small.Cluster.Warnings = []string{"MTU mismatch on every node: pod MTU 1300 is 150 below 1450 (node MTU 1500 − VXLAN 50): small packets cost throughput; set --pod-mtu to 1450 (node MTU 1500 − VXLAN 50)"}
	run := runrecordtest.Run()
	run.Cluster.Facts = []string{"emulated on one host: 2 nodes × 2 pods, network namespaces joined by veths"}
	run.Cluster.Warnings = []string{"datapath=vxlan: MTU mismatch on every node: pod MTU 1500 > 1450 (node MTU 1500 − VXLAN 50): large packets fragment or are dropped (an MTU blackhole); set --pod-mtu to 1450 (node MTU 1500 − VXLAN 50)"}
	sweep := runrecordtest.Sweep()
	sweep.Cluster.Facts = []string{"emulated on one host: 2 nodes × 2 pods, network namespaces joined by veths"}
	return map[string]*runrecord.Run{
		"run":     run,
		"partial": partial,
		"small":   small,
		"nodecpu": nodeCPUFixture(),
		"sweep":   sweep,
		"udpmax":  runrecordtest.UDPMax(),
		"faults":  runrecordtest.Faults(),
	}
}

func TestRenderGolden(t *testing.T) {
	runs := fixtures()
	tests := []struct {
		run    string
		format Format
	}{
		{"run", Table}, {"run", Wide}, {"run", Markdown}, {"run", CSV}, {"run", HTML},
		{"partial", Table}, {"partial", Markdown}, {"partial", CSV},
		{"small", JSON}, {"small", CSV},
		{"nodecpu", Table}, {"nodecpu", Wide}, {"nodecpu", Markdown}, {"nodecpu", CSV}, {"nodecpu", HTML},
		{"sweep", Table}, {"sweep", Markdown}, {"sweep", CSV}, {"sweep", HTML},
		{"udpmax", Table}, {"udpmax", Markdown}, {"udpmax", CSV}, {"udpmax", HTML}, {"udpmax", JSON},
		{"faults", Table}, {"faults", Markdown}, {"faults", HTML},
	}
	for _, tt := range tests {
		name := tt.run + "." + goldenExt(tt.format)
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, runs[tt.run], tt.format); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, goldenPkg, name, buf.Bytes())
		})
	}
}

func TestCompareGolden(t *testing.T) {
	routed := runrecordtest.Build(runrecordtest.Options{Variants: []string{"datapath=routed"}})
	vxlan := runrecordtest.Build(runrecordtest.Options{Variants: []string{"datapath=vxlan"}, Seed: 2})
	rerun := runrecordtest.Build(runrecordtest.Options{Variants: []string{"datapath=routed"}, Seed: 3})
	latencyOld, latencyNew := runrecordtest.Build(runrecordtest.Options{Variants: []string{"datapath=routed"}}), runrecordtest.Build(runrecordtest.Options{Variants: []string{"datapath=vxlan"}, Seed: 2})
	runrecordtest.AddLatency(latencyOld, runrecordtest.LatencyOptions{Tests: []string{"rr", "crr"}})
	runrecordtest.AddLatency(latencyNew, runrecordtest.LatencyOptions{Tests: []string{"rr", "crr"}, Fail: "pod-clusterip",
		Scenarios: map[string]float64{"pod-pod-cross": 1.25, "pod-clusterip": 1.03, "pod-node": 0.9}})
	// the same runs, the new one made with --discard: named, and not judged
	discard := runrecordtest.Build(runrecordtest.Options{Variants: []string{"datapath=routed"}, Seed: 3, Discard: true})
	pct := 5.0
	tests := []struct {
		name       string
		old, new   *runrecord.Run
		pct        *float64
		latencyPct *float64
		formats    []Format
	}{
		{"compare-vxlan", routed, vxlan, &pct, nil, CompareFormats},
		{"compare-rerun", routed, rerun, nil, nil, []Format{Table}},
		{"compare-discard", routed, discard, &pct, nil, []Format{Table, Markdown, JSON}},
		{"compare-latency", latencyOld, latencyNew, nil, &pct, CompareFormats},
		{"compare-latency-ungated", latencyOld, latencyNew, nil, nil, []Format{Table}},
	}
	for _, tt := range tests {
		c := Compare([]*runrecord.Run{tt.old}, []*runrecord.Run{tt.new}, CompareOptions{RegressionPct: tt.pct, LatencyRegressionPct: tt.latencyPct,
			OldFiles: []string{"old.json"}, NewFiles: []string{"new.json"}})
		for _, f := range tt.formats {
			name := tt.name + "." + goldenExt(f)
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := RenderComparison(&buf, c, f); err != nil {
					t.Fatal(err)
				}
				golden.Check(t, goldenPkg, name, buf.Bytes())
			})
		}
	}
}

// goldenExt is the extension of a format's golden file.
func goldenExt(f Format) string {
	if f == Wide {
		return "wide.txt"
	}
	return ext[f]
}

// TestTableFitsTerminal renders default tables of runs as users make them
// (TCP and UDP, one and four streams, two datapaths, failures) and checks
// every line fits 120 columns; -o wide may be wider.
func TestTableFitsTerminal(t *testing.T) {
	runs := fixtures()
	multi := runrecordtest.Build(runrecordtest.Options{})
	four := runrecordtest.Build(runrecordtest.Options{Seed: 4})
	for _, s := range four.Samples {
		s.Streams = 4
		multi.Samples = append(multi.Samples, s)
	}
	multi.Summarize(stats.Config{})
	runs["multi"] = multi
	for name, run := range runs {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, run, Table); err != nil {
				t.Fatal(err)
			}
			for i, l := range strings.Split(buf.String(), "\n") {
				if n := utf8.RuneCountInString(l); n > tableWidth {
					t.Errorf("line %d is %d characters, more than %d:\n%s", i+1, n, tableWidth, l)
				}
			}
		})
	}
}

// TestCompareFitsTerminal: the default compare tables of the goldens (a
// rerun, a change of datapath with failures, latency with and without
// its gate) fit tableWidth too; -o wide may not.
func TestCompareFitsTerminal(t *testing.T) {
	for _, name := range []string{"compare-rerun.txt", "compare-vxlan.txt", "compare-latency.txt", "compare-latency-ungated.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range strings.Split(string(b), "\n") {
			if n := utf8.RuneCountInString(l); n > tableWidth {
				t.Errorf("%s line %d is %d characters, more than %d:\n%s", name, i+1, n, tableWidth, l)
			}
		}
	}
}

// nodeCPUFixture is a run with its nodes' CPU: vxlan costs more CPU per
// Gbit than the bare nodes, and one test's reading failed.
func nodeCPUFixture() *runrecord.Run {
	r := runrecordtest.Build(runrecordtest.Options{Variants: []string{"datapath=vxlan"}, Scenarios: []string{"node-node", "pod-pod-cross", "pod-clusterip"},
		Repeats: 6, NodeCPU: true})
	r.Cluster.Facts = []string{"node CPU is this host's /proc/stat: the lab's nodes share one machine, so each node's CPU per Gbit is the whole machine's"}
	for i := range r.Samples {
		if s := &r.Samples[i]; s.Scenario == "pod-clusterip" && s.Protocol == stats.TCP && s.Repeat == 2 {
			s.NodeCPU.Nodes[1] = runrecord.NodeCPUUse{Role: runrecord.RoleServer, Node: "node-2", Side: runrecord.SideReceiver,
				Error: "read node CPU in cnibench-x/host-2: exec: container not running"}
		}
	}
	r.Summarize(stats.Config{})
	return r
}
