package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster/lab"
)

// TestRunDryRunChecks: --dry-run refuses what the run would fail on
// (unknown nodes, an --out-dir it cannot write), and creates nothing.
func TestRunDryRunChecks(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(dir, "ro")
	if err := os.Mkdir(readOnly, 0o555); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		want    string // error; "" = none
		created string // must not exist after
	}{
		{"a node the lab lacks", []string{"--nodes", "node-1,node-9"}, `--nodes node-1,node-9: the lab has no node "node-9"; its nodes are node-1, node-2, node-3`, ""},
		{"a node name of kube", []string{"--nodes", "worker-1,worker-2"}, `the lab has no node "worker-1"`, ""},
		{"the lab's nodes", []string{"--nodes", "node-3,node-1"}, "", ""},
		{"out-dir under a file", []string{"--out-dir", filepath.Join(file, "results")}, "is a file, not a directory", ""},
		{"out-dir is a file", []string{"--out-dir", file}, "is a file, not a directory", ""},
		{"out-dir to create", []string{"--out-dir", filepath.Join(dir, "new", "results")}, "", filepath.Join(dir, "new")},
		{"out-dir that exists", []string{"--out-dir", dir}, "", ""},
		{"kube: out-dir under a file", []string{"--cluster", "kube", "--out-dir", filepath.Join(file, "results")}, "is a file, not a directory", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, err := runCommand(t, newRunCommand, append(tc.args, "--dry-run", "--scenarios", "node-node")...)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("%v\n%s", err, errOut)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if tc.created != "" {
				if _, err := os.Stat(tc.created); err == nil {
					t.Errorf("the dry run created %s", tc.created)
				}
			}
		})
	}
	if os.Geteuid() != 0 {
		if err := checkOutDir(filepath.Join(readOnly, "x")); err == nil || !strings.Contains(err.Error(), "cannot write in") {
			t.Errorf("a read-only parent: %v", err)
		}
	}
}

// TestRunDryRunDatapath: a dry run says what `lab up` says about a
// datapath this kernel cannot build (its module, the supported ones).
func TestRunDryRunDatapath(t *testing.T) {
	for _, d := range lab.Datapaths {
		t.Run(string(d), func(t *testing.T) {
			_, errOut, err := runCommand(t, newRunCommand, "--dry-run", "--datapath", string(d))
			if lab.NeedsReexec() {
				if err != nil || !strings.Contains(errOut, "checked when the run starts") {
					t.Fatalf("not root: %v, stderr %q", err, errOut)
				}
				return
			}
			if lab.Supported(d) == nil {
				if err != nil {
					t.Fatalf("supported datapath refused: %v", err)
				}
				return
			}
			want := "datapath " + string(d) + " needs the "
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "this kernel supports: routed") {
				t.Fatalf("error %v, want %q and the supported datapaths", err, want)
			}
		})
	}
}
