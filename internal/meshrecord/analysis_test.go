package meshrecord_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/mesh"
	"github.com/cnibench/cnibench/internal/meshrecord"
	"github.com/cnibench/cnibench/internal/meshrecord/meshrecordtest"
)

func TestAnalyze(t *testing.T) {
	for _, tc := range []struct {
		name     string
		o        meshrecordtest.Options
		outliers []string
		zones    int
		ci       bool
	}{
		{"healthy", meshrecordtest.Options{Nodes: 6, Slow: -1, Rate: 1e9, PodCost: 0.1, Repeats: 1}, nil, 0, false},
		{"slow node-3, zones, 6 repeats", meshrecordtest.Options{Nodes: 7, Slow: 2, Rate: 1e9, PodCost: 0.1, Repeats: 6, Zones: []string{"a", "b"}},
			[]string{"node-3: 80% below the cluster median in 12 of 12 pairs, both directions"}, 4, true},
		{"a failing pair", meshrecordtest.Options{Nodes: 4, Slow: -1, Rate: 1e9, Repeats: 1, Fail: [2]int{0, 1}}, nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := meshrecordtest.Mesh(tc.o)
			a := m.Analyze(mesh.Judging{})
			for _, sa := range a.Scenarios {
				if strings.Join(sa.Outliers, "|") != strings.Join(tc.outliers, "|") {
					t.Errorf("%s: outliers %q, want %q", sa.Scenario, sa.Outliers, tc.outliers)
				}
				if len(sa.Zones) != tc.zones {
					t.Errorf("%s: %d zone pairs, want %d", sa.Scenario, len(sa.Zones), tc.zones)
				}
				if len(sa.Pairs) != tc.o.Nodes*(tc.o.Nodes-1) {
					t.Errorf("%s: %d pairs", sa.Scenario, len(sa.Pairs))
				}
				for _, p := range sa.Pairs {
					if (p.CI != nil) != tc.ci && p.Failed == 0 {
						t.Errorf("%s %d→%d: CI %v with %d repeats", sa.Scenario, p.From, p.To, p.CI, tc.o.Repeats)
					}
					if failing := tc.o.Fail != [2]int{} && [2]int{p.From, p.To} == tc.o.Fail; failing != (p.Median == nil) {
						t.Errorf("%s %d→%d: median %v, failing %v", sa.Scenario, p.From, p.To, p.Median, failing)
					}
				}
			}
			for _, c := range a.Cost {
				if math.Abs(c.Overhead-tc.o.PodCost) > 1e-9 {
					t.Errorf("cost %d→%d: %.3f, want %.3f", c.From, c.To, c.Overhead, tc.o.PodCost)
				}
			}
		})
	}
}

func TestReadWrite(t *testing.T) {
	m := meshrecordtest.Mesh(meshrecordtest.Options{Nodes: 3, Slow: -1, Rate: 1e9, Repeats: 1})
	var b bytes.Buffer
	if err := meshrecord.Write(&b, m); err != nil {
		t.Fatal(err)
	}
	if !meshrecord.IsMesh(b.Bytes()) {
		t.Error("IsMesh: false for a mesh")
	}
	got, err := meshrecord.Read(&b)
	if err != nil || len(got.Tests) != len(m.Tests) || got.Nodes[2].Name != "node-3" {
		t.Fatalf("read back: %v, %+v", err, got)
	}
	for _, tc := range []struct{ in, want string }{
		{`{"schema_version":"cnibench.run/v1"}`, "not a cnibench mesh record"},
		{`{}`, "no schema_version"},
		{`{"schema_version":"cnibench.mesh/v9"}`, "not supported"},
		{`[`, "not a cnibench mesh record"},
		{`{"schema_version":"cnibench.mesh/v1","nodes":[{"name":"a"},{"name":"b"}],"tests":[{"from":0,"to":2}]}`, "not a pair"},
		{`{"schema_version":"cnibench.mesh/v1","nodes":[{"name":"a"}],"plan":{"rounds":[[[0,1]]]}}`, "round 1"},
	} {
		if _, err := meshrecord.Read(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Read(%s): %v, want %q", tc.in, err, tc.want)
		}
	}
}

// FuzzRead: no input makes Read panic, and what it accepts analyses.
func FuzzRead(f *testing.F) {
	var b bytes.Buffer
	_ = meshrecord.Write(&b, meshrecordtest.Mesh(meshrecordtest.Options{Nodes: 3, Slow: -1, Rate: 1e9, Repeats: 1}))
	f.Add(b.Bytes())
	f.Add([]byte(`{"schema_version":"cnibench.mesh/v1","nodes":[{"name":"a"},{"name":"b"}],"tests":[{"from":0,"to":1,"goodput":1e309}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := meshrecord.Read(bytes.NewReader(data))
		if err == nil {
			m.Analyze(mesh.Judging{})
		}
	})
}
