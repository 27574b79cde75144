//go:build e2e

package smoke

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/testenv"
	"github.com/cnibench/cnibench/test/e2e/cluster"
	"github.com/cnibench/cnibench/test/e2e/clustertest"
)

// TestTeardownAfterInterruptedUp interrupts Up at several points (control
// plane starting, nodes starting) and checks that Down still leaves the
// host exactly as it was.
func TestTeardownAfterInterruptedUp(t *testing.T) {
	if os.Getenv("KUBECONFIG") != "" {
		t.Skip("KUBECONFIG names an external cluster: the harness's teardown is not under test")
	}
	testenv.MustBeRoot(t)
	dir := clustertest.RunDir()
	if st, err := cluster.ReadState(dir); err == nil {
		if os.Getenv(clustertest.EnvReuse) == "1" {
			t.Skipf("a %s cluster is up for reuse in %s; not tearing it down", st.Config.CNI, dir)
		}
		if err := cluster.Down(dir, nil); err != nil {
			t.Fatalf("remove the previous e2e cluster: %v", err)
		}
	}
	before, err := cluster.Snapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, after := range []time.Duration{1500 * time.Millisecond, 6 * time.Second} {
		for _, mode := range []cluster.CNI{cluster.Bridge, cluster.FlannelVXLAN} {
			ctx, cancel := context.WithTimeout(context.Background(), after)
			st, err := cluster.Up(ctx, cluster.Config{RunDir: dir, CNI: mode})
			cancel()
			if err == nil {
				t.Logf("%s: up finished within %v; tearing down a whole cluster instead", mode, after)
			} else if !errors.Is(err, context.DeadlineExceeded) {
				t.Logf("%s: up interrupted after %v: %v", mode, after, err)
			}
			if st != nil && st.Phase == cluster.PhaseUp && err != nil {
				t.Errorf("%s: up failed but recorded the cluster as up", mode)
			}
			if err := cluster.Down(dir, nil); err != nil {
				t.Errorf("%s: down after up interrupted at %v: %v", mode, after, err)
			}
			got, err := cluster.Snapshot(dir)
			if err != nil {
				t.Fatal(err)
			}
			if d := cluster.Diff(before, got); len(d) > 0 {
				t.Errorf("%s: teardown after up interrupted at %v left the host changed:\n%s", mode, after, strings.Join(d, "\n"))
			}
		}
	}
}
