package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster/lab"
	"github.com/spf13/cobra"
)

// complete runs cobra's hidden __complete command on cmd (the root of its
// tree) and returns the values offered, without the directive line.
func complete(t *testing.T, cmd *cobra.Command, args ...string) []string {
	t.Helper()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetArgs(append([]string{cobra.ShellCompRequestCmd}, args...))
	if err := cmd.Execute(); err != nil {
		t.Fatalf("__complete %v: %v", args, err)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.HasPrefix(l, ":") && l != "" {
			got = append(got, l)
		}
	}
	return got
}

func TestCompletionValues(t *testing.T) {
	root := func() *cobra.Command { return NewRootCommand(Streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}) }
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"run", "--scenarios", "pod-pod"}, []string{"pod-pod-cross", "pod-pod-same"}},
		{[]string{"run", "--scenarios", "node-node,pod-pod-cross,pod-pod"}, []string{"node-node,pod-pod-cross,pod-pod-same"}},
		{[]string{"run", "--protocol", ""}, []string{"tcp", "udp"}},
		{[]string{"run", "--protocol", "tcp,"}, []string{"tcp,udp"}},
		{[]string{"run", "--datapath", ""}, []string{"routed", "vxlan", "ipip", "wireguard"}},
		{[]string{"lab", "up", "--datapath", "v"}, []string{"vxlan"}},
		{[]string{"run", "-o", ""}, []string{"table", "wide", "json", "csv", "markdown", "html", "openmetrics"}},
		{[]string{"report", "-o", "m"}, []string{"markdown"}},
		{[]string{"compare", "-o", ""}, []string{"table", "wide", "json", "csv", "markdown"}},
		{[]string{"version", "-o", ""}, []string{"text", "json"}},
		{[]string{"lab", "status", "-o", "j"}, []string{"json"}},
		{[]string{"run", "--order", ""}, []string{"interleaved", "sequential"}},
		{[]string{"run", "--cluster", "k"}, []string{"kube"}},
		{[]string{"run", "--nodes", "node-1,"}, []string{"node-1,node-2", "node-1,node-3"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			if got := complete(t, root(), tc.args...); !slices.Equal(got, tc.want) {
				t.Errorf("offered %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCompletionLabIDs(t *testing.T) {
	labs := lab.Store{Dir: t.TempDir()}
	for _, id := range []string{"cmpa1", "cmpb2"} {
		b, _ := json.Marshal(lab.State{Config: lab.Config{ID: id, Nodes: 2}})
		if err := os.WriteFile(filepath.Join(labs.Dir, id+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := func() *cobra.Command {
		c := newLabCommand(Streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}, labs)
		registerCompletions(c, labs)
		return c
	}
	// Other labs (leftover namespaces of other runs) may be offered too.
	if got := complete(t, cmd(), "status", ""); !slices.Contains(got, "cmpa1") || !slices.Contains(got, "cmpb2") {
		t.Errorf("lab status offers %q, want cmpa1 and cmpb2", got)
	}
	if got := complete(t, cmd(), "down", "cmpa1", ""); slices.Contains(got, "cmpa1") || !slices.Contains(got, "cmpb2") {
		t.Errorf("lab down cmpa1 offers %q, want cmpb2 and not cmpa1 again", got)
	}
	if got := complete(t, cmd(), "status", "cmpa1", ""); len(got) != 0 {
		t.Errorf("lab status takes one ID, yet offers %q after it", got)
	}
}

// writeKubeconfig writes a kubeconfig with contexts "dev" and "prod", both
// on server.
func writeKubeconfig(t *testing.T, server string) string {
	t.Helper()
	cfg := `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "` + server + `"}
users:
- name: u
  user: {token: t}
contexts:
- name: prod
  context: {cluster: c, user: u}
- name: dev
  context: {cluster: c, user: u}
current-context: dev
`
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCompletionKube(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/nodes" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"NodeList","apiVersion":"v1","items":[{"metadata":{"name":"worker-1"}},{"metadata":{"name":"worker-2"}}]}`))
	}))
	defer api.Close()
	root := func() *cobra.Command { return NewRootCommand(Streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}) }
	kc := writeKubeconfig(t, api.URL)
	if got := complete(t, root(), "run", "--cluster", "kube", "--kubeconfig", kc, "--context", ""); !slices.Equal(got, []string{"dev", "prod"}) {
		t.Errorf("--context offers %q, want dev, prod", got)
	}
	if got := complete(t, root(), "cleanup", "--cluster", "kube", "--kubeconfig", kc, "--context", "p"); !slices.Equal(got, []string{"prod"}) {
		t.Errorf("cleanup --context p offers %q, want prod", got)
	}
	if got := complete(t, root(), "run", "--cluster", "kube", "--kubeconfig", kc, "--nodes", "worker-1,"); !slices.Equal(got, []string{"worker-1,worker-2"}) {
		t.Errorf("--nodes offers %q, want worker-1,worker-2", got)
	}
	// No API server: no suggestions, no error.
	down := writeKubeconfig(t, "https://127.0.0.1:1")
	if got := complete(t, root(), "run", "--cluster", "kube", "--kubeconfig", down, "--nodes", ""); len(got) != 0 {
		t.Errorf("--nodes without an API server offers %q", got)
	}
}
