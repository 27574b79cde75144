package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	utilexec "k8s.io/client-go/util/exec"
)

// TestRecoverRecreatesLostPod loses pod-2a in each way a pod is lost: a
// recoverable loss recreates it on node-2 with a new IP, which a direct
// target then follows; a node that is gone or not Ready is a LostError.
func TestRecoverRecreatesLostPod(t *testing.T) {
	ns := Namespace(testID)
	for _, tc := range []struct {
		name string
		lose func(ctx context.Context, f *fakeCluster) error
		why  string // in the fault, or in the LostError
		lost bool   // the node cannot take it back
	}{
		{"deleted", func(ctx context.Context, f *fakeCluster) error {
			return f.cs.CoreV1().Pods(ns).Delete(ctx, "pod-2a", metav1.DeleteOptions{})
		}, "pod pod-2a was deleted", false},
		{"OOM-killed", setStatus(func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodFailed
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "cnibench", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "OOMKilled", ExitCode: 137}}}}
		}), "pod pod-2a was OOM-killed (container cnibench)", false},
		{"evicted", setStatus(func(p *corev1.Pod) {
			p.Status.Phase, p.Status.Reason, p.Status.Message = corev1.PodFailed, "Evicted", "The node was low on resource: memory."
		}), "pod pod-2a failed: Evicted: The node was low on resource: memory.", false},
		{"being evicted", beingEvicted, "pod pod-2a is being deleted (EvictionByEvictionAPI: Eviction API: evicting)", false},
		{"node NotReady", func(ctx context.Context, f *fakeCluster) error {
			if err := setStatus(func(p *corev1.Pod) {
				p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}
			})(ctx, f); err != nil {
				return err
			}
			n, err := f.cs.CoreV1().Nodes().Get(ctx, "node-2", metav1.GetOptions{})
			if err != nil {
				return err
			}
			n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionUnknown, Reason: "NodeStatusUnknown", Message: "Kubelet stopped posting node status."}}
			_, err = f.cs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
			return err
		}, "pod pod-2a is not Ready: node node-2 is NotReady (NodeStatusUnknown: Kubelet stopped posting node status.)", true},
		{"node gone", func(ctx context.Context, f *fakeCluster) error {
			if err := f.cs.CoreV1().Pods(ns).Delete(ctx, "pod-2a", metav1.DeleteOptions{}); err != nil {
				return err
			}
			return f.cs.CoreV1().Nodes().Delete(ctx, "node-2", metav1.DeleteOptions{})
		}, "pod pod-2a was deleted; node node-2 is gone", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFake(t, twoNodes()...)
			c := newCluster(t, f)
			eps, _ := c.Endpoints(ctx)
			from, srv := eps[2], eps[4] // pod-1a, pod-2a
			if fs, err := c.Recover(ctx, from, srv); err != nil || len(fs) != 0 {
				t.Fatalf("nothing lost yet: %v %v", fs, err)
			}
			old := cluster.Target{Kind: cluster.DirectTarget, Addr: netip.AddrPortFrom(srv.Addrs[0], 5201), Backend: srv}
			if err := tc.lose(ctx, f); err != nil {
				t.Fatal(err)
			}
			fs, err := c.Recover(ctx, from, srv)
			if tc.lost {
				var le *cluster.LostError
				if !errors.As(err, &le) || le.Endpoint != "pod-2a" || le.Node != "node-2" || le.Why != tc.why {
					t.Fatalf("Recover: %v, %v; want a LostError %q", fs, err, tc.why)
				}
				return
			}
			if err != nil || len(fs) != 1 || fs[0].Endpoint != "pod-2a" || fs[0].Node != "node-2" || fs[0].Why != tc.why ||
				!strings.HasPrefix(fs[0].Recovery, "recreated on node-2, Ready after ") {
				t.Fatalf("Recover: %+v, %v; want pod-2a recreated because %q", fs, err, tc.why)
			}
			now, _ := c.Endpoints(ctx)
			if now[4].Addrs[0] == srv.Addrs[0] || !strings.HasSuffix(fs[0].Recovery, now[4].Addrs[0].String()) {
				t.Errorf("pod-2a's address %v after recreation (was %v); fault %q", now[4].Addrs, srv.Addrs, fs[0].Recovery)
			}
			p, err := f.cs.CoreV1().Pods(ns).Get(ctx, "pod-2a", metav1.GetOptions{})
			if err != nil || p.Spec.NodeName != "node-2" || p.Status.Phase != corev1.PodRunning {
				t.Fatalf("recreated pod: %v %v", p, err)
			}
			if _, err := c.RunClient(ctx, from, old, engine.Spec{Duration: 1e9}); err != nil {
				t.Fatal(err)
			}
			if last := f.exec.calls[len(f.exec.calls)-1]; last[2] != now[4].Addrs[0].String() {
				t.Errorf("the client connected to %s, want the new address %s", last[2], now[4].Addrs[0])
			}
			if fs, err := c.Recover(ctx, from, srv); err != nil || len(fs) != 0 {
				t.Errorf("recovered, then: %v %v", fs, err)
			}
		})
	}
}

// setStatus changes pod-2a's status.
func setStatus(mod func(*corev1.Pod)) func(context.Context, *fakeCluster) error {
	return func(ctx context.Context, f *fakeCluster) error {
		p, err := f.cs.CoreV1().Pods(Namespace(testID)).Get(ctx, "pod-2a", metav1.GetOptions{})
		if err != nil {
			return err
		}
		mod(p)
		_, err = f.cs.CoreV1().Pods(Namespace(testID)).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		return err
	}
}

// TestRecoverWaitsForTheAPIServer: calls that cannot reach the API server
// are retried until it answers again, within APITimeout; after it, the
// error says what to check.
func TestRecoverWaitsForTheAPIServer(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, twoNodes()...)
	c := newCluster(t, f)
	eps, _ := c.Endpoints(ctx)
	refused := 2
	f.cs.PrependReactor("get", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if refused > 0 {
			refused--
			return true, nil, fmt.Errorf("dial tcp 198.18.0.254:6443: connect: %w", syscall.ECONNREFUSED)
		}
		return false, nil, nil
	})
	if fs, err := c.Recover(ctx, eps[4]); err != nil || len(fs) != 0 || refused != 0 {
		t.Fatalf("after two refusals: %v %v (%d refusals left)", fs, err, refused)
	}
	c.cfg.APITimeout = time.Millisecond
	refused = 1 << 30
	_, err := c.Recover(ctx, eps[4])
	if err == nil || !strings.Contains(err.Error(), "the Kubernetes API server has not answered for 1ms") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("API server away for good: %v", err)
	}
	var le *cluster.LostError
	if errors.As(err, &le) {
		t.Errorf("an unreachable API server is not a lost endpoint: %v", err)
	}
}

// TestRecoverReportsABrokenExecStream: an exec that broke without the
// client's exit status (the API server restarted under it) is a fault
// once the API server answers; a client that exited with an error is not.
func TestRecoverReportsABrokenExecStream(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, twoNodes()...)
	c := newCluster(t, f)
	eps, _ := c.Endpoints(ctx)
	to := cluster.Target{Kind: cluster.DirectTarget, Addr: netip.AddrPortFrom(eps[4].Addrs[0], 5201), Backend: eps[4]}
	for _, tc := range []struct {
		name  string
		err   error
		fault string
	}{
		{"stream broke", errors.New("websocket: close 1006 (abnormal closure): unexpected EOF"), "the exec stream through the API server broke: websocket: close 1006"},
		{"client failed", utilexec.CodeExitError{Err: errors.New("command terminated with exit code 1"), Code: 1}, ""},
	} {
		f.exec.client = func(context.Context, []string, io.Writer) error { return tc.err }
		if _, err := c.RunClient(ctx, eps[2], to, engine.Spec{Duration: 1e9}); err == nil {
			t.Fatalf("%s: the client succeeded", tc.name)
		}
		fs, err := c.Recover(ctx, eps[2], eps[4])
		switch {
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.fault == "" && len(fs) != 0:
			t.Errorf("%s: faults %+v, want none", tc.name, fs)
		case tc.fault != "" && (len(fs) != 1 || !strings.HasPrefix(fs[0].Why, tc.fault) || fs[0].Endpoint != "" || !strings.HasPrefix(fs[0].Recovery, "the API server answers again")):
			t.Errorf("%s: faults %+v, want %q", tc.name, fs, tc.fault)
		}
	}
}

// TestRecoverWaitsForANodeBack: a node NotReady for a moment (its kubelet
// could not reach a restarting API server) leaves its pods running; once
// they are Ready again they are a fault recovered without recreation.
func TestRecoverWaitsForANodeBack(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, twoNodes()...)
	c := newCluster(t, f)
	c.cfg.NodeSettle = 10 * time.Second
	eps, _ := c.Endpoints(ctx)
	nodeReady := func(st corev1.ConditionStatus) error {
		n, err := f.cs.CoreV1().Nodes().Get(ctx, "node-2", metav1.GetOptions{})
		if err != nil {
			return err
		}
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: st, Reason: "NodeStatusUnknown", Message: "Kubelet stopped posting node status."}}
		_, err = f.cs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
		return err
	}
	podReady := func(st corev1.ConditionStatus) error {
		return setStatus(func(p *corev1.Pod) { p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st}} })(ctx, f)
	}
	if err := errors.Join(podReady(corev1.ConditionFalse), nodeReady(corev1.ConditionUnknown)); err != nil {
		t.Fatal(err)
	}
	back := make(chan error, 1)
	go func() {
		time.Sleep(500 * time.Millisecond)
		back <- errors.Join(nodeReady(corev1.ConditionTrue), podReady(corev1.ConditionTrue))
	}()
	fs, err := c.Recover(ctx, eps[4])
	if berr := <-back; berr != nil {
		t.Fatal(berr)
	}
	if err != nil || len(fs) != 1 || !strings.HasPrefix(fs[0].Why, "pod pod-2a is not Ready: node node-2 is NotReady") || !strings.HasPrefix(fs[0].Recovery, "Ready again after") {
		t.Fatalf("Recover: %+v %v; want pod-2a Ready again, not recreated", fs, err)
	}
	if now, _ := c.Endpoints(ctx); now[4].Addrs[0] != eps[4].Addrs[0] {
		t.Errorf("pod-2a's address changed: %v → %v", eps[4].Addrs, now[4].Addrs)
	}
}
