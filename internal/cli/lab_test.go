package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster/lab"
	"github.com/cnibench/cnibench/internal/runid"
	"github.com/cnibench/cnibench/internal/testenv"
	"github.com/spf13/cobra"
)

func runCmd(t *testing.T, cmd *cobra.Command, out *bytes.Buffer, args ...string) error {
	t.Helper()
	out.Reset()
	cmd.SetArgs(args)
	return cmd.ExecuteContext(context.Background())
}

func TestLabUpStatusDownCleanup(t *testing.T) {
	testenv.MustBeRoot(t)
	labs := lab.Store{Dir: t.TempDir()}
	var out, errb bytes.Buffer
	s := Streams{In: strings.NewReader(""), Out: &out, Err: &errb}
	id := "cli" + runid.New()[:5]
	t.Cleanup(func() { _ = labs.Down(id) })

	labCmd := newLabCommand(s, labs)
	if err := runCmd(t, labCmd, &out, "up", "--id", id, "--nodes", "2", "--pods-per-node", "1", "--datapath", "vxlan", "--link-rate", "1gbit", "--ipv6"); err != nil {
		t.Fatalf("lab up: %v (%s)", err, errb.String())
	}
	if got := strings.TrimSpace(out.String()); got != id {
		t.Fatalf("lab up printed %q, want the ID %q", got, id)
	}
	names, _ := lab.Namespaces(id)
	if len(names) != 6 { // switch, 2 nodes, 2 pods, the external host

		t.Fatalf("namespaces after up: %v", names)
	}
	if err := runCmd(t, newLabCommand(s, labs), &out, "up", "--id", id); err == nil {
		t.Fatal("second lab up with the same ID succeeded")
	}

	if err := runCmd(t, newLabCommand(s, labs), &out, "status", id); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"lab " + id + ": up, datapath vxlan, MTU 1500 (pods 1450), link rate 1 Gbit/s", "pod-2a", "198.19.2.11", "fd00:198:19:2::11", "cnibench-" + id + "-node-1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
	for _, asJSON := range [][]string{{"-o", "json"}, {"--json"}} { // --json: the deprecated spelling still works
		if err := runCmd(t, newLabCommand(s, labs), &out, append([]string{"status"}, asJSON...)...); err != nil {
			t.Fatal(err)
		}
		var st []labStatus
		if err := json.Unmarshal(out.Bytes(), &st); err != nil || len(st) == 0 {
			t.Fatalf("status %v: %v\n%s", asJSON, err, out.String())
		}
	}

	// cleanup leaves a kept lab alone unless asked: by --all or by its ID
	kept := "would remove lab " + id + " (kept with 'lab up')"
	for _, tt := range []struct {
		args []string
		want bool
	}{
		{[]string{"--dry-run"}, false},
		{[]string{"--dry-run", "--all"}, true},
		{[]string{"--dry-run", "--all", "--older-than", "1h"}, false},
		{[]string{"--dry-run", id}, true},
		{[]string{"--dry-run", id, "--older-than", "1h"}, false},
	} {
		if err := runCmd(t, newCleanupCommand(s, labs), &out, tt.args...); err != nil {
			t.Fatalf("cleanup %v: %v", tt.args, err)
		}
		if got := strings.Contains(out.String(), kept); got != tt.want {
			t.Errorf("cleanup %v: lists the kept lab %v, want %v:\n%s", tt.args, got, tt.want, out.String())
		}
	}
	if names, _ := lab.Namespaces(id); len(names) != 6 {
		t.Fatalf("dry run removed something: %v", names)
	}

	// unknown IDs are errors naming the labs there are, and remove nothing
	unknown := `lab "nosuch1" not found: the labs are `
	for _, args := range [][]string{{"down", "nosuch1"}, {"down", id, "nosuch1"}, {"status", "nosuch1"}} {
		err := runCmd(t, newLabCommand(s, labs), &out, args...)
		if err == nil || !strings.Contains(err.Error(), unknown) || !strings.Contains(err.Error(), id) {
			t.Errorf("lab %v: %v, want %q naming %s", args, err, unknown, id)
		}
	}
	if err := runCmd(t, newCleanupCommand(s, labs), &out, "nosuch1"); err == nil || !strings.Contains(err.Error(), unknown) {
		t.Errorf("cleanup nosuch1: %v, want %q", err, unknown)
	}
	if names, _ := lab.Namespaces(id); len(names) != 6 {
		t.Fatalf("an unknown ID removed something: %v", names)
	}

	if err := runCmd(t, newLabCommand(s, labs), &out, "down"); err == nil {
		t.Error("down without an ID or --all succeeded")
	}
	if err := runCmd(t, newLabCommand(s, labs), &out, "down", id); err != nil {
		t.Fatal(err)
	}
	if names, _ := lab.Namespaces(id); len(names) != 0 {
		t.Fatalf("after down: %v", names)
	}
	if err := runCmd(t, newLabCommand(s, labs), &out, "down", id); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("second down: %v, want not found", err)
	}
}

// TestCleanupRemovesCrashLeftovers: namespaces of a lab whose process died
// before recording it are found by name and removed.
func TestCleanupRemovesCrashLeftovers(t *testing.T) {
	testenv.MustBeRoot(t)
	crashed := lab.Store{Dir: t.TempDir()}
	id := "crash" + runid.New()[:3]
	if _, err := crashed.Up(context.Background(), lab.Config{ID: id, Nodes: 1, PodsPerNode: 1}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = crashed.Down(id) })
	labs := lab.Store{Dir: t.TempDir()} // the record is lost, the namespaces stay
	var out, errb bytes.Buffer
	s := Streams{Out: &out, Err: &errb}
	leftover := "lab " + id + " (leftover namespaces)"
	if err := runCmd(t, newCleanupCommand(s, labs), &out, "--dry-run"); err != nil || !strings.Contains(out.String(), "would remove "+leftover) {
		t.Errorf("cleanup --dry-run: %v, output %q lacks %q", err, out.String(), leftover)
	}
	if err := runCmd(t, newCleanupCommand(s, labs), &out, "--dry-run", "--older-than", "1h"); err != nil || strings.Contains(out.String(), leftover) {
		t.Errorf("cleanup --dry-run --older-than 1h: %v, lists a lab made now: %q", err, out.String())
	}
	// named, so that only this test's lab goes (other labs may be in /run/netns)
	if err := runCmd(t, newCleanupCommand(s, labs), &out, id); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "removed "+leftover) {
		t.Errorf("cleanup output %q", out.String())
	}
	if names, _ := lab.Namespaces(id); len(names) != 0 {
		t.Errorf("left behind: %v", names)
	}
}

func TestLabUpRejectsBadFlags(t *testing.T) {
	var out, errb bytes.Buffer
	s := Streams{Out: &out, Err: &errb}
	labs := lab.Store{Dir: t.TempDir()}
	for _, args := range [][]string{
		{"up", "--datapath", "geneve"},
		{"up", "--link-rate", "fast"},
		{"up", "--nodes", "0", "--id", "UPPER"},
	} {
		if lab.NeedsReexec() {
			t.Skip("not root: flags are checked in the rootless child")
		}
		if err := runCmd(t, newLabCommand(s, labs), &out, args...); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
