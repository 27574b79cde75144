//go:build e2e

package kube

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/cluster/kube"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runrecord"
	e2e "github.com/cnibench/cnibench/test/e2e/cluster"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestKubeFaultPodDeleted deletes the server pod pod-2a while a test
// against it runs, a third into the run: the run's watch sees it at once
// and cuts that test short, the run recreates the pod on its node, runs
// the test again and finishes with every test measured (exit 0); the
// record names the loss, when the watch saw it, and the retry.
func TestKubeFaultPodDeleted(t *testing.T) {
	c, cfg := setup(t, modes()[0])
	var deleted sync.Once
	var deletedAt time.Time // written before done is closed
	done := make(chan struct{})
	run, ns := faultRun(t, cfg, func(ctx context.Context, p bench.Progress, kc *kube.Cluster) {
		if p.Index < p.Total/3 || p.Test.Scenario.Name != "pod-pod-cross" {
			return
		}
		deleted.Do(func() {
			go func() {
				defer close(done)
				time.Sleep(time.Second) // into the test
				t.Logf("deleting pod-2a during test %d of %d", p.Index, p.Total)
				deletedAt = time.Now()
				if err := c.Client.CoreV1().Pods(kc.Namespace()).Delete(ctx, "pod-2a", metav1.DeleteOptions{}); err != nil {
					t.Errorf("delete pod-2a: %v", err)
				}
			}()
		})
	})
	waitFault(t, done)
	lost := false
	for _, f := range run.Faults {
		t.Logf("fault at %v, seen %v: %s %s: %s: %s", f.At, f.Seen, f.Endpoint, f.Node, f.Why, f.Recovery)
		if f.Endpoint != "pod-2a" {
			continue
		}
		lost = lost || f.Node == "node-2" && f.Recovery != ""
		// Seen by the watch at the moment: after the deletion, before
		// the check after the failed test recorded it.
		if f.Seen == nil || f.Seen.Before(deletedAt) || f.Seen.After(f.At) || !strings.HasPrefix(f.Why, "pod pod-2a is being deleted") {
			t.Errorf("pod-2a's fault: seen %v (deleted at %v, recorded at %v), why %q; want the watch's sighting of its deletion", f.Seen, deletedAt, f.At, f.Why)
		}
	}
	retried, again := 0, 0
	for _, s := range run.Samples {
		if s.Retried {
			retried++
			if !strings.HasPrefix(s.Error, "cut short: pod-2a on node-2 lost (pod pod-2a is being deleted") {
				t.Errorf("retried try %s #%d failed with %q; want it cut short by pod-2a's deletion", s.Scenario, s.Repeat, s.Error)
			}
		}
		if s.Retry > 0 && !s.Failed() {
			again++
		}
	}
	if !lost || retried == 0 || again != retried {
		t.Errorf("faults %+v; %d tries retried, %d measured again: want pod-2a's loss and its retried test", run.Faults, retried, again)
	}
	checkGone(t, c.Client, ns)
}

// TestKubeFaultAPIServerRestart kills the harness's kube-apiserver while
// a test runs, a third into a run, and starts it again 10 s later: the
// calls wait for it, the test whose exec stream broke runs again, and the
// run finishes with every test measured.
func TestKubeFaultAPIServerRestart(t *testing.T) {
	c, cfg := setup(t, modes()[0])
	if c.State == nil {
		t.Skip("the API server of a KUBECONFIG cluster is not ours to restart")
	}
	var restarted sync.Once
	done := make(chan struct{})
	run, ns := faultRun(t, cfg, func(ctx context.Context, p bench.Progress, kc *kube.Cluster) {
		if p.Index < p.Total/3 {
			return
		}
		restarted.Do(func() {
			go func() {
				defer close(done)
				time.Sleep(time.Second)
				t.Logf("restarting kube-apiserver during test %d of %d", p.Index, p.Total)
				log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
				if err := e2e.RestartAPIServer(ctx, c.State.Config.RunDir, 10*time.Second, true, log); err != nil {
					t.Errorf("restart kube-apiserver: %v", err)
				}
			}()
		})
	})
	waitFault(t, done)
	t.Logf("faults: %+v", run.Faults)
	if retriedOf(run) == 0 {
		t.Errorf("no test was run again: want the one whose exec stream the kill cut")
	}
	checkGone(t, c.Client, ns)
}

// faultRun runs a small plan on a new run of the cluster, calling fault
// as each test starts, and checks that the run finished with every test
// measured: what `cnibench run` exits 0 on.
func faultRun(t *testing.T, cfg kube.Config, fault func(context.Context, bench.Progress, *kube.Cluster)) (*runrecord.Run, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	kc, err := kube.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = kc.Close(context.Background()) }()
	plan := bench.Plan{Scenarios: []string{"node-node", "pod-pod-cross"}, Protocols: []engine.Protocol{engine.TCP},
		Duration: 3 * time.Second, Repeats: 3, RealCluster: true}
	ev := &faultEvents{t: t, start: func(p bench.Progress) { fault(ctx, p, kc) }}
	run, err := bench.Run(ctx, kc, plan, ev)
	t.Logf("run of %d tries in %v", len(run.Samples), time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range run.Samples {
		t.Logf("%s #%d retry %d retried %v: %.2f Gbit/s %s", s.Scenario, s.Repeat, s.Retry, s.Retried, goodput(s), s.Error)
	}
	if n := run.FailedSamples() + run.FailedLatencySamples(); n != 0 || !run.Complete || len(run.Samples)-retriedOf(run) != 6 {
		t.Errorf("%d failed tests, complete %v, %d tries of which %d retried: want 6 tests measured", n, run.Complete, len(run.Samples), retriedOf(run))
	}
	if err := kc.Close(context.Background()); err != nil {
		t.Error(err)
	}
	return run, kc.Namespace()
}

// waitFault waits for the fault's goroutine, which the run may have
// finished without starting.
func waitFault(t *testing.T, done <-chan struct{}) {
	select {
	case <-done:
	case <-time.After(90 * time.Second):
		t.Fatal("the fault was never made: no test of the run matched")
	}
}

func retriedOf(run *runrecord.Run) int {
	n := 0
	for _, s := range run.Samples {
		if s.Retried {
			n++
		}
	}
	return n
}

func goodput(s runrecord.Sample) float64 {
	if s.Result == nil {
		return 0
	}
	return s.Result.Goodput() / 1e9
}

// faultEvents logs the run's notes and calls start as each test starts.
type faultEvents struct {
	bench.NoEvents
	t     *testing.T
	start func(bench.Progress)
}

func (e *faultEvents) Note(msg string)              { e.t.Log(msg) }
func (e *faultEvents) TestStarted(p bench.Progress) { e.start(p) }
