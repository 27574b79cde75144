package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/runrecord/runrecordtest"
	"github.com/cnibench/cnibench/internal/stats"
)

func TestCompare(t *testing.T) {
	one := func(variant string, seed uint64, scenarios ...string) *runrecord.Run {
		return runrecordtest.Build(runrecordtest.Options{Variants: []string{variant}, Seed: seed, Scenarios: scenarios, Protocols: []stats.Protocol{stats.TCP}})
	}
	slower := runrecordtest.Build(runrecordtest.Options{Variants: []string{"datapath=routed"}, Seed: 4, Protocols: []stats.Protocol{stats.TCP}, Slowdown: 0.08})
	both := runrecordtest.Build(runrecordtest.Options{Protocols: []stats.Protocol{stats.TCP}, Scenarios: []string{"node-node", "pod-pod-cross"}})
	pct := func(v float64) *float64 { return &v }
	tests := []struct {
		name        string
		old, new    *runrecord.Run
		pct         *float64
		statuses    string // status of each row, space-separated
		significant int
		regressions int
	}{
		{"itself", one("datapath=vxlan", 1, "node-node", "pod-pod-cross"), one("datapath=vxlan", 1, "node-node", "pod-pod-cross"), pct(0), "ok ok", 0, 0},
		{"rerun", one("datapath=routed", 1, "node-node", "pod-pod-cross"), one("datapath=routed", 3, "node-node", "pod-pod-cross"), pct(0), "ok ok", 0, 0},
		{"routed to vxlan", one("datapath=routed", 1, "node-node", "pod-pod-cross"), one("datapath=vxlan", 2, "node-node", "pod-pod-cross"), pct(5), "ok ok", 1, 1},
		{"below the threshold", one("datapath=routed", 1, "node-node", "pod-pod-cross"), one("datapath=vxlan", 2, "node-node", "pod-pod-cross"), pct(10), "ok ok", 1, 0},
		{"no threshold, no regression", one("datapath=routed", 1, "node-node", "pod-pod-cross"), one("datapath=vxlan", 2, "node-node", "pod-pod-cross"), nil, "ok ok", 1, 0},
		{"slowdown", one("datapath=routed", 1), slower, pct(5), "ok ok ok ok ok ok failed", 4, 4},
		{"stopped working", one("datapath=vxlan", 1, "pod-nodeport"), one("datapath=routed", 1, "pod-nodeport"), pct(5), "new-failed", 0, 1},
		{"started working", one("datapath=routed", 1, "pod-nodeport"), one("datapath=vxlan", 1, "pod-nodeport"), pct(5), "old-failed", 0, 0},
		{"missing on each side", one("datapath=routed", 1, "node-node", "pod-node"), one("datapath=routed", 1, "node-node", "pod-pod-cross"), nil, "ok only-old only-new", 0, 0},
		{"variants must match when a run has several", both, one("datapath=vxlan", 1, "node-node", "pod-pod-cross"), nil, "only-old only-old ok ok", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Compare([]*runrecord.Run{tt.old}, []*runrecord.Run{tt.new}, CompareOptions{RegressionPct: tt.pct})
			var statuses []string
			significant := 0
			for _, r := range c.Rows {
				statuses = append(statuses, r.Status)
				if r.Delta != nil && r.Delta.Normalised && strings.HasSuffix(changeMark(r.Delta), sigMark) {
					significant++
				}
			}
			if got := strings.Join(statuses, " "); got != tt.statuses || significant != tt.significant || len(c.Regressions()) != tt.regressions {
				var buf bytes.Buffer
				RenderComparison(&buf, c, Table)
				t.Errorf("statuses %q, %d significant, %d regressions; want %q, %d, %d\n%s", got, significant, len(c.Regressions()), tt.statuses, tt.significant, tt.regressions, buf.String())
			}
		})
	}
}

func TestCompareFiles(t *testing.T) {
	dir := t.TempDir()
	oldPath, newPath := filepath.Join(dir, "old.json"), filepath.Join(dir, "new.json")
	if err := runrecord.WriteFile(oldPath, smallRun()); err != nil {
		t.Fatal(err)
	}
	if err := runrecord.WriteFile(newPath, smallRun()); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	c, err := CompareFiles([]string{oldPath}, []string{newPath}, CompareFilesOptions{Format: CSV, Out: &buf})
	if err != nil || len(c.Rows) != 2 || !strings.HasPrefix(buf.String(), "scenario,protocol,") || c.Old.File != oldPath {
		t.Fatalf("got %v, %+v\n%s", err, c, buf.String())
	}
	if _, err := CompareFiles([]string{oldPath}, []string{newPath}, CompareFilesOptions{Format: HTML, Out: &buf}); err == nil || !strings.Contains(err.Error(), "not available for comparisons") {
		t.Errorf("html comparison: %v", err)
	}
	os.WriteFile(newPath, []byte(`{"schema_version":"cnibench.run/v9"}`), 0o644)
	if _, err := CompareFiles([]string{oldPath}, []string{newPath}, CompareFilesOptions{Out: &buf}); err == nil || !strings.Contains(err.Error(), "new.json") {
		t.Errorf("unreadable new run: %v", err)
	}
}
