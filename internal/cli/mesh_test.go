package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/meshrecord"
	"github.com/cnibench/cnibench/internal/meshrecord/meshrecordtest"
)

func TestMeshFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"mesh", "--scenarios", "pod-node"}, "--scenarios pod-node: a mesh measures node-node and pod-pod-cross"},
		{[]string{"mesh", "--protocol", "sctp"}, "--protocol sctp: use tcp or udp"},
		{[]string{"mesh", "--streams", "0"}, "--streams 0"},
		{[]string{"mesh", "--repeats", "0"}, "--repeats 0"},
		{[]string{"mesh", "--duration", "0"}, "--duration 0s: use 1s or more"},
		{[]string{"mesh", "--sample-pairs", "-1"}, "--sample-pairs -1"},
		{[]string{"mesh", "--nodes", "1"}, "--nodes 1: a mesh needs 2"},
		{[]string{"mesh", "--slow-node", "5=200mbit"}, "--slow-node \"5=200mbit\": use NODE=RATE"},
		{[]string{"mesh", "--slow-node", "node-5=fast"}, "--slow-node:"},
		{[]string{"mesh", "--slow-node", "node-9=1mbit", "--dry-run"}, "slow node node-9: the lab has 8 nodes"},
		{[]string{"mesh", "--link-rate", "x"}, "--link-rate"},
		{[]string{"mesh", "--sample-pairs", "8", "--dry-run"}, "--sample-pairs: 8 peers per node out of range: use 1 to 7"},
		{[]string{"mesh", "-o", "openmetrics"}, "for a mesh: use one of table|json|csv|markdown|html"},
		{[]string{"mesh", "--node-selector", "a=b"}, "--node-selector applies to --cluster kube"},
		{[]string{"mesh", "--cluster", "kube", "--slow-node", "node-1=1m"}, "--slow-node applies to --cluster lab"},
		{[]string{"mesh", "--cluster", "kube", "--node-selector", "a in ("}, "--node-selector: node selector"},
		{[]string{"mesh", "--cluster", "kube", "--max-nodes", "1"}, "--max-nodes 1: use 2 or more"},
		{[]string{"mesh", "--cluster", "moon"}, "unknown cluster"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := run(t, tc.args...)
			if code == 0 || !strings.Contains(errOut, tc.want) || out != "" {
				t.Errorf("code %d, stderr %q, stdout %q; want an error with %q", code, errOut, out, tc.want)
			}
		})
	}
}

// TestMeshDryRun: the round plan of a lab mesh, without building it.
func TestMeshDryRun(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--nodes", "4"}, []string{"4 nodes, 3 rounds × 2 directions × 2 scenarios × 1 repeat = 12 steps of ≤ 2 parallel tests, 24 tests",
			"round 1: node-3↔node-4 node-1↔node-2", "round 3:", "about 14s at 1.2s per test"}},
		{[]string{"--nodes", "9", "--sample-pairs", "3", "--scenarios", "node-node", "--duration", "10", "--omit", "1"},
			[]string{"3 rounds × 2 directions × 1 scenario", "each node against 3 random peers", "about 1m7s at 11.2s per test"}},
	} {
		out, errOut, code := run(t, append([]string{"mesh", "--dry-run"}, tc.args...)...)
		if code != 0 {
			t.Fatalf("%v: code %d: %s", tc.args, code, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: no %q in\n%s", tc.args, w, out)
			}
		}
	}
}

// TestMeshRecordCommands: report renders a mesh record in every format,
// and compare compares two.
func TestMeshRecordCommands(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mesh.json")
	if err := meshrecord.WriteFile(path, meshrecordtest.Mesh(meshrecordtest.Options{Nodes: 4, Slow: 1, Rate: 1e9, Repeats: 1})); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "report", path, "--out-dir", filepath.Join(dir, "r"))
	if code != 0 || !strings.Contains(out, "node-node · tcp ×1") || !strings.Contains(errOut, "mesh.html") {
		t.Fatalf("report: code %d, %s\n%s", code, errOut, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "r", "mesh.csv")); err != nil {
		t.Error(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", path, "--", path}, "one mesh a side"},
		{[]string{"compare", path, path, "--fail-on-latency-regression", "5"}, "a mesh has none"},
		{[]string{"compare", path, path, "-o", "html"}, "not available for comparisons: use one of table|wide|json|csv|markdown"},
		{[]string{"compare", path, path, "--fail-on-regression", "-1"}, "want a percentage"},
		{[]string{"report", path, "-o", "openmetrics"}, "for a mesh"},
	} {
		if _, errOut, code := run(t, tc.args...); code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: code %d, %q; want %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestMeshCompare: compare of two meshes in every format of a run's
// compare, and its gate's exit statuses.
func TestMeshCompare(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, o meshrecordtest.Options) string {
		path := filepath.Join(dir, name)
		if err := meshrecord.WriteFile(path, meshrecordtest.Mesh(o)); err != nil {
			t.Fatal(err)
		}
		return path
	}
	once := write("once.json", meshrecordtest.Options{Nodes: 4, Slow: -1, Rate: 1e9, Repeats: 1})
	base := write("base.json", meshrecordtest.Options{Nodes: 5, Slow: -1, Rate: 1e9, Repeats: 3})
	slow := write("slow.json", meshrecordtest.Options{Nodes: 5, Slow: 2, Rate: 1e9, Repeats: 3})
	for _, tc := range []struct {
		args []string
		code int
		out  string // in stdout
		err  string // in stderr
	}{
		{[]string{once, once}, 0, "cnibench compare of meshes", ""},
		{[]string{once, once, "-o", "wide"}, 0, "TESTS", ""},
		{[]string{once, once, "-o", "csv"}, 0, "kind,scenario,from,to,old,new", ""},
		{[]string{once, once, "-o", "markdown"}, 0, "### cnibench compare of meshes", ""},
		{[]string{once, once, "-o", "json"}, 0, `"pairs": [`, ""},
		{[]string{base, base, "--fail-on-regression", "5"}, 0, "no clear change", ""},
		{[]string{once, once, "--fail-on-regression", "5"}, exitCannotJudge, "too few tests for an interval", "--repeats 3"},
		{[]string{base, slow, "--fail-on-regression", "5"}, exitRegression, "REGRESSION; became an outlier", "regression(s) beyond 5%"},
		{[]string{base, slow}, 0, "slower; became an outlier", ""},
	} {
		out, errOut, code := run(t, append([]string{"compare"}, tc.args...)...)
		if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errOut, tc.err) {
			t.Errorf("compare %v: code %d (want %d), stderr %q (want %q), stdout lacks %q?\n%s", tc.args[2:], code, tc.code, errOut, tc.err, tc.out, out)
		}
	}
}
