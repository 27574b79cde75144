package cli

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/cluster/kube"
	"github.com/cnibench/cnibench/internal/testenv"
)

// TestKubePreflight: run and cleanup with --cluster kube and a cluster
// they cannot use exit 1 before any test, with one message; a dry run
// needs no cluster. Every address is loopback.
func TestKubePreflight(t *testing.T) {
	home := t.TempDir()
	empty := filepath.Join(home, "empty-kubeconfig")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("KUBECONFIG", empty)
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	closed := "https://" + testenv.ClosedPort(t)
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`))
	}))
	defer refusing.Close()
	run := []string{"run", "--cluster", "kube", "--scenarios", "node-node", "--repeats", "1"}
	cleanup := []string{"cleanup", "--cluster", "kube"}
	for _, tc := range []struct {
		name string
		args []string
		want string // "" = success
	}{
		{"run: no kubeconfig", run, "no kubeconfig: set KUBECONFIG, ~/.kube/config or --kubeconfig"},
		{"cleanup: no kubeconfig", cleanup, "no kubeconfig: set KUBECONFIG"},
		{"run: nothing listens", append(run, "--server", closed), "cannot reach the API server at " + closed + ": dial tcp " + strings.TrimPrefix(closed, "https://") + ": connect: connection refused"},
		{"cleanup: nothing listens", append(cleanup, "--server", closed), "cannot reach the API server at " + closed},
		{"run: credentials refused", append(run, "--server", refusing.URL), "you must be logged in to the server at " + refusing.URL + " (Unauthorized)"},
		{"run: a kubeconfig that is not there", append(run, "--kubeconfig", filepath.Join(home, "nope")), "nope"},
		{"run: no image", append(run, "--server", closed, "--image="), "no image: --image is empty"},
		{"dry run: no cluster needed", append(run, "--dry-run"), ""},
		{"dry run: no image", append(run, "--dry-run", "--image="), "no image: --image is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, err := runCommand(t, NewRootCommand, tc.args...)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("%v\n%s", err, errOut)
				}
				return
			}
			var ee *exitError
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.As(err, &ee) {
				t.Fatalf("error %v (exit code other than 1: %v), want %q", err, ee != nil, tc.want)
			}
			if strings.Contains(out, "SCENARIO") || strings.Contains(errOut, "1/1") {
				t.Errorf("tests ran: stdout %q, stderr %q", out, errOut)
			}
		})
	}
}

// closeCounter is a cluster.Cluster that only counts closes.
type closeCounter struct {
	cluster.Cluster
	closes int
}

func (c *closeCounter) Close(context.Context) error { c.closes++; return nil }

// TestOpenFirst: the cluster opened before the run is handed to it once,
// and closed by release only when the run never took it; an image that
// cannot be pulled says how to make one.
func TestOpenFirst(t *testing.T) {
	s := Streams{Out: &strings.Builder{}, Err: &strings.Builder{}}
	for _, taken := range []bool{true, false} {
		c := &closeCounter{}
		v, release, err := openFirst(context.Background(), s, true, bench.Variant{Open: func(context.Context) (cluster.Cluster, error) { return c, nil }})
		if err != nil {
			t.Fatal(err)
		}
		if taken {
			if got, _ := v.Open(context.Background()); got != c {
				t.Fatal("the run got another cluster")
			}
		}
		release()
		if want := map[bool]int{true: 0, false: 1}[taken]; c.closes != want {
			t.Errorf("taken %v: closed %d times, want %d", taken, c.closes, want)
		}
	}
	imgErr := &kube.ImageError{Pod: "host-1", Node: "n1", Image: "x/cnibench:dev", Reason: "ImagePullBackOff", Message: "not found"}
	_, _, err := openFirst(context.Background(), s, true, bench.Variant{Open: func(context.Context) (cluster.Cluster, error) { return nil, imgErr }})
	if err == nil || !strings.HasPrefix(err.Error(), "no image: pod host-1 on n1 cannot use x/cnibench:dev") || !strings.Contains(err.Error(), "give --image") || !errors.Is(err, imgErr) {
		t.Errorf("image error: %v", err)
	}
}
