package cli

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster/lab"
	"github.com/cnibench/cnibench/internal/image"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestClusterFlagScope: a flag of the other cluster is an error that
// names it and the fix, before anything runs; the cluster's own are fine.
func TestClusterFlagScope(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-kubeconfig")
	for _, tc := range []struct {
		cmd  func(Streams) *cobra.Command
		args []string
		want []string // nil: no error
	}{
		{newRunCommand, []string{"--image", "x"}, []string{"--image applies to --cluster kube; add --cluster kube, or drop --image"}},
		{newRunCommand, []string{"--server-image", "networkstatic/iperf3"}, []string{"--server-image applies to --cluster kube; add --cluster kube, or drop --server-image"}},
		{newRunCommand, []string{"--kubeconfig", missing, "--ready-timeout", "1m"}, []string{
			"--kubeconfig applies to --cluster kube; add --cluster kube, or drop --kubeconfig",
			"--ready-timeout applies to --cluster kube",
		}},
		{newRunCommand, []string{"--cluster", "lab", "--context", "prod"}, []string{"--context applies to --cluster kube; use --cluster kube instead of --cluster lab, or drop --context"}},
		{newRunCommand, []string{"--tolerate-control-plane", "--image-pull-policy", "Never"}, []string{"--tolerate-control-plane applies", "--image-pull-policy applies"}},
		{newRunCommand, []string{"--cluster", "kube", "--datapath", "vxlan"}, []string{"--datapath applies to --cluster lab; drop --cluster kube (lab is the default), or drop --datapath"}},
		{newRunCommand, []string{"--cluster", "kube", "--link-rate", "0", "--mtu", "1400", "--pod-mtu", "1350", "--policy-rules", "10"}, []string{
			"--link-rate applies to --cluster lab", "--mtu applies", "--pod-mtu applies", "--policy-rules applies",
		}},
		{newRunCommand, []string{"--datapath", "vxlan", "--mtu", "9000", "--nodes", "node-1,node-3"}, nil},
		{newRunCommand, []string{"--cluster", "kube", "--image", "x", "--server-image", "y", "--ready-timeout", "1m", "--context", "c", "--nodes", "a,b"}, nil},
		{cleanupCommand, []string{"--cluster", "kube", "--all"}, []string{"--all applies to --cluster lab; drop --cluster kube (lab is the default), or drop --all"}},
		{newRunCommand, []string{"-n", "benchmarks"}, []string{"--namespace applies to --cluster kube; add --cluster kube, or drop --namespace"}},
		{newRunCommand, []string{"--cluster", "kube", "-n", "benchmarks"}, nil},
		{cleanupCommand, []string{"-n", "benchmarks"}, []string{"--namespace applies to --cluster kube"}},
		{cleanupCommand, []string{"--kubeconfig", missing}, []string{"--kubeconfig applies to --cluster kube"}},
		// passes the check, then fails to read the kubeconfig
		{cleanupCommand, []string{"--cluster", "kube", "--kubeconfig", missing, "--older-than", "1h"}, []string{"kubeconfig", "no-kubeconfig"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append(tc.args, "--dry-run")
			_, _, err := runCommand(t, tc.cmd, args...)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestClusterFlagsMarked: every flag whose help says "lab:" or "kube:"
// is marked as that cluster's, and so are kubectl's connection flags.
func TestClusterFlagsMarked(t *testing.T) {
	for _, build := range []func(Streams) *cobra.Command{newRunCommand, cleanupCommand} {
		cmd := build(Streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
		counts := map[string]int{}
		cmd.Flags().VisitAll(func(fl *pflag.Flag) {
			c := flagCluster(fl)
			counts[c]++
			for _, cl := range clusters {
				if strings.HasPrefix(fl.Usage, cl+": ") && c != cl {
					t.Errorf("%s --%s says %q but is marked for %q", cmd.Name(), fl.Name, cl, c)
				}
			}
		})
		for _, name := range []string{"kubeconfig", "context", "as", "token", "server"} {
			if fl := cmd.Flags().Lookup(name); fl == nil || flagCluster(fl) != "kube" {
				t.Errorf("%s --%s is not marked kube", cmd.Name(), name)
			}
		}
		if fl := cmd.Flags().Lookup("cluster"); flagCluster(fl) != "" {
			t.Errorf("%s --cluster is marked %q", cmd.Name(), flagCluster(fl))
		}
		t.Logf("%s: flags per cluster %v", cmd.Name(), counts)
	}
}

func TestRunHelpGroupsFlags(t *testing.T) {
	out, _, err := runCommand(t, newRunCommand, "--help")
	if err != nil {
		t.Fatal(err)
	}
	_, flags, ok0 := strings.Cut(out, "\nFlags:\n")
	general, rest, ok1 := strings.Cut(flags, "\nFlags for --cluster lab:\n")
	labFlags, kubeFlags, ok2 := strings.Cut(rest, "\nFlags for --cluster kube:\n")
	if !ok0 || !ok1 || !ok2 {
		t.Fatalf("no flag groups in:\n%s", out)
	}
	for section, want := range map[string][]string{
		general:   {"--repeats", "--cluster", "--nodes", "--dry-run"},
		labFlags:  {"--datapath", "--link-rate", "--mtu", "--pod-mtu", "--policy-rules"},
		kubeFlags: {"--image ", "--server-image", "--image-pull-policy", "--ready-timeout", "--tolerate-control-plane", "--kubeconfig", "--context", "--as "},
	} {
		for _, w := range want {
			if !strings.Contains(section, w) {
				t.Errorf("%q not in its section:\n%s", w, section)
			}
		}
	}
	for _, w := range []string{"--image", "--kubeconfig", "--datapath"} {
		if strings.Contains(general, w) {
			t.Errorf("%s among the general flags", w)
		}
	}
	if strings.Contains(labFlags, "--image") || strings.Contains(kubeFlags, "--datapath") {
		t.Errorf("flags in the other cluster's section:\n%s", out)
	}
}

// TestRunKubeWarnsUnpublishedImage: a development build's default image
// is not published; once the cluster answers, the run says so and goes on
// (here to fail on a loopback API server without nodes).
func TestRunKubeWarnsUnpublishedImage(t *testing.T) {
	if image.Release() {
		t.Skip("a release build: its default image is published")
	}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/version":
			_, _ = w.Write([]byte(`{"major":"1","minor":"30","gitVersion":"v1.30.0"}`))
		case "/api/v1/nodes":
			_, _ = w.Write([]byte(`{"kind":"NodeList","apiVersion":"v1","items":[]}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer api.Close()
	_, errOut, err := runCommand(t, newRunCommand, "--cluster", "kube", "--server", api.URL, "--scenarios", "node-node", "--repeats", "1", "-q")
	if err == nil || !strings.Contains(err.Error(), "need two Ready") {
		t.Fatalf("error %v, want no node pair", err)
	}
	missing := filepath.Join(t.TempDir(), "no-kubeconfig")
	for _, w := range []string{"warning: --image defaults to " + image.DefaultRef() + ", which is not published", "cnibench image push", "cnibench image build", "--image"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	for _, args := range [][]string{
		{"--cluster", "kube", "--kubeconfig", missing, "--image", "registry.example/cnibench:v1"},
		{"--cluster", "kube", "--kubeconfig", missing, "--image", image.DefaultRef()}, // given: maybe pushed by hand
		{"--cluster", "kube", "--dry-run"},
	} {
		_, errOut, _ := runCommand(t, newRunCommand, args...)
		if strings.Contains(errOut, "warning") {
			t.Errorf("%v: warned:\n%s", args, errOut)
		}
	}
}

// cleanupCommand is `cnibench cleanup` with the default store of kept
// labs, for tests that stop at its flags.
func cleanupCommand(s Streams) *cobra.Command {
	return newCleanupCommand(s, lab.Store{Dir: lab.DefaultStateDir})
}
