package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

func TestUnescapeMount(t *testing.T) {
	for in, want := range map[string]string{
		`/run/x`:              "/run/x",
		`/run/a\040b`:         "/run/a b",
		`/run/tab\011and\134`: "/run/tab\tand\\",
	} {
		if got := unescapeMount(in); got != want {
			t.Errorf("unescapeMount(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestShimSockets pins containerd 1.6's shim socket name,
// /run/containerd/s/sha256(ADDRESS/NAMESPACE/ID), checked on a live node.
func TestShimSockets(t *testing.T) {
	dir := t.TempDir()
	p := paths(dir)
	id := "1b7b95a1f7c9a34a6365442b6d20c85f8036c7cb7628930d1bba3ffdbea2e893"
	if err := os.MkdirAll(filepath.Join(p.node(1), "containerd", "state", "io.containerd.runtime.v2.task", "k8s.io", id), 0o755); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(dir + "/node-1/containerd/containerd.sock/k8s.io/" + id))
	want := "/run/containerd/s/" + hex.EncodeToString(h[:])
	got := shimSockets(p, 1)
	if len(got) != 1 || got[0] != want {
		t.Errorf("shimSockets = %v, want [%s]", got, want)
	}
	if got := shimSockets(p, 2); len(got) != 0 {
		t.Errorf("node 2 has no sandboxes, got %v", got)
	}
}

func TestDiff(t *testing.T) {
	d := Diff([]string{"a", "b"}, []string{"b", "c"})
	if len(d) != 2 || d[0] != "- a" || d[1] != "+ c" {
		t.Errorf("Diff = %v", d)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).WithDefaults().Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
	for _, c := range []Config{{Nodes: MaxNodes + 1}, {CNI: "calico"}, {RunDir: "relative"}} {
		if err := c.WithDefaults().Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
