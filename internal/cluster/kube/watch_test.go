package kube

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	k8stesting "k8s.io/client-go/testing"
)

// losses collects what a cluster's watch tells.
type losses chan cluster.Loss

// beingEvicted has pod-2a being deleted by the eviction API.
func beingEvicted(ctx context.Context, f *fakeCluster) error {
	p, err := f.cs.CoreV1().Pods(Namespace(testID)).Get(ctx, "pod-2a", metav1.GetOptions{})
	if err != nil {
		return err
	}
	now := metav1.Now()
	p.DeletionTimestamp = &now
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "EvictionByEvictionAPI", Message: "Eviction API: evicting"})
	_, err = f.cs.CoreV1().Pods(Namespace(testID)).Update(ctx, p, metav1.UpdateOptions{})
	return err
}

// next is the next loss told; the bound only keeps a broken watch from
// hanging the test.
func (l losses) next(t *testing.T) cluster.Loss {
	t.Helper()
	select {
	case got := <-l:
		return got
	case <-time.After(30 * time.Second):
		t.Fatal("the watch told no loss")
		return cluster.Loss{}
	}
}

// watching waits until the fake API server has been asked n watches of pods.
func watching(t *testing.T, f *fakeCluster, n int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		got := 0
		for _, a := range f.cs.Actions() {
			if a.GetVerb() == "watch" && a.GetResource().Resource == "pods" {
				got++
			}
		}
		if got >= n {
			return
		}
	}
	t.Fatalf("the run's pods are not watched %d times", n)
}

// TestWatchTellsALossAsItHappens loses pod-2a in each way a pod is lost,
// with no Recover called: the watch tells which pod, on which node, why,
// and whether its process is gone. Recover then takes the watch's word.
func TestWatchTellsALossAsItHappens(t *testing.T) {
	ns := Namespace(testID)
	deleted := func(ctx context.Context, f *fakeCluster) error {
		return f.cs.CoreV1().Pods(ns).Delete(ctx, "pod-2a", metav1.DeleteOptions{})
	}
	notReady := func(ctx context.Context, f *fakeCluster) error {
		n, err := f.cs.CoreV1().Nodes().Get(ctx, "node-2", metav1.GetOptions{})
		if err != nil {
			return err
		}
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionUnknown, Reason: "NodeStatusUnknown", Message: "Kubelet stopped posting node status."}}
		if _, err := f.cs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
			return err
		}
		return setStatus(func(p *corev1.Pod) {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}
		})(ctx, f)
	}
	for _, tc := range []struct {
		name string
		lose func(ctx context.Context, f *fakeCluster) error
		why  string
		gone bool
	}{
		{"deleted", deleted, "pod pod-2a was deleted", true},
		{"being evicted", beingEvicted, "pod pod-2a is being deleted (EvictionByEvictionAPI: Eviction API: evicting)", true},
		{"evicted by the kubelet", setStatus(func(p *corev1.Pod) {
			p.Status.Phase, p.Status.Reason, p.Status.Message = corev1.PodFailed, "Evicted", "The node was low on resource: memory."
		}), "pod pod-2a failed: Evicted: The node was low on resource: memory.", true},
		{"OOM-killed", setStatus(func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodFailed
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "cnibench", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "OOMKilled", ExitCode: 137}}}}
		}), "pod pod-2a was OOM-killed (container cnibench)", true},
		{"restarted", setStatus(func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "cnibench", RestartCount: 1, Ready: true,
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 2}}}}
		}), "pod pod-2a's container cnibench restarted", true},
		{"OOM-killed and restarted", setStatus(func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "cnibench", RestartCount: 1, Ready: true,
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "OOMKilled", ExitCode: 137}}}}
		}), "pod pod-2a was OOM-killed (container cnibench, restarted)", true},
		{"node NotReady", notReady, "pod pod-2a is not Ready: node node-2 is NotReady (NodeStatusUnknown: Kubelet stopped posting node status.)", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFake(t, twoNodes()...)
			c := newCluster(t, f)
			c.cfg.NodeSettle = 0
			told := make(losses, 10)
			c.OnLoss(func(l cluster.Loss) { told <- l })
			watching(t, f, 1)
			if err := tc.lose(ctx, f); err != nil {
				t.Fatal(err)
			}
			got := told.next(t)
			if want := (cluster.Loss{Endpoint: "pod-2a", Node: "node-2", Why: tc.why, Gone: tc.gone}); got != want {
				t.Fatalf("told %+v, want %+v", got, want)
			}
			if !tc.gone {
				return
			}
			// Recover goes by what the watch saw: it asks nothing of the
			// lost pod before deleting what is left of it.
			before := len(f.cs.Actions())
			eps, _ := c.Endpoints(ctx)
			fs, err := c.Recover(ctx, eps[4])
			if err != nil || len(fs) != 1 || fs[0].Why != tc.why || !strings.HasPrefix(fs[0].Recovery, "recreated on node-2") {
				t.Fatalf("Recover: %+v %v; want pod-2a recreated because %q", fs, err, tc.why)
			}
			for _, a := range f.cs.Actions()[before:] {
				if a.GetResource().Resource != "pods" {
					continue
				}
				if a.GetVerb() != "delete" {
					t.Errorf("Recover's first call about the pod is %s, want delete: the watch already said why", a.GetVerb())
				}
				break
			}
			// The recreation was the run's own: not told as a loss; a
			// loss of the new pod is.
			if err := deleted(ctx, f); err != nil {
				t.Fatal(err)
			}
			if got := told.next(t); got.Why != "pod pod-2a was deleted" {
				t.Errorf("after the recreation, told %+v; want the new pod's deletion alone", got)
			}
		})
	}
}

// TestWatchTellsOnce: a pod's loss is told once, however many updates
// show it; a pod not Ready is told again only after it was Ready again.
func TestWatchTellsOnce(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, twoNodes()...)
	c := newCluster(t, f)
	told := make(losses, 10)
	c.OnLoss(func(l cluster.Loss) { told <- l })
	watching(t, f, 1)
	ready := func(st corev1.ConditionStatus, msg string) {
		t.Helper()
		if err := setStatus(func(p *corev1.Pod) {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st, Message: msg}}
		})(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	ready(corev1.ConditionFalse, "1")
	ready(corev1.ConditionFalse, "2") // the same loss again
	ready(corev1.ConditionTrue, "")
	ready(corev1.ConditionFalse, "3") // a new one
	if err := f.cs.CoreV1().Pods(Namespace(testID)).Delete(ctx, "pod-2a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 3 {
		l := told.next(t)
		got = append(got, l.Why)
	}
	want := []string{"pod pod-2a is not Ready", "pod pod-2a is not Ready", "pod pod-2a was deleted"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("told %q, want %q", got, want)
		}
	}
}

// TestWatchResumes: when the watch breaks (the API server went away, or
// its history expired) the watch lists the pods again, sees a deletion
// made meanwhile, and goes on watching.
func TestWatchResumes(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, twoNodes()...)
	var mu sync.Mutex
	var ws []*watch.FakeWatcher
	f.cs.PrependWatchReactor("pods", func(k8stesting.Action) (bool, watch.Interface, error) {
		mu.Lock()
		defer mu.Unlock()
		w := watch.NewFake()
		ws = append(ws, w)
		return true, w, nil
	})
	c := newCluster(t, f)
	told := make(losses, 10)
	c.OnLoss(func(l cluster.Loss) { told <- l })
	watching(t, f, 1)
	if err := f.cs.CoreV1().Pods(Namespace(testID)).Delete(ctx, "pod-2b", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err) // the broken watch does not deliver it
	}
	mu.Lock()
	first := ws[0]
	mu.Unlock()
	first.Error(&metav1.Status{Status: metav1.StatusFailure, Code: 410, Reason: metav1.StatusReasonExpired, Message: "too old resource version"})
	if got := told.next(t); got.Endpoint != "pod-2b" || got.Why != "pod pod-2b was deleted" || !got.Gone {
		t.Fatalf("after the watch broke, told %+v; want pod-2b deleted meanwhile", got)
	}
	watching(t, f, 2)
	mu.Lock()
	second := ws[len(ws)-1]
	mu.Unlock()
	p, err := f.cs.CoreV1().Pods(Namespace(testID)).Get(ctx, "pod-2a", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Status.Phase, p.Status.Reason, p.Status.Message = corev1.PodFailed, "Evicted", "low on memory"
	second.Modify(p)
	if got := told.next(t); got.Endpoint != "pod-2a" || got.Why != "pod pod-2a failed: Evicted: low on memory" {
		t.Fatalf("on the watch again, told %+v; want pod-2a evicted", got)
	}
}

// TestWatchEndsWithTheRun: Close stops the watch and every goroutine it
// started, and the pods' deletion by Close is not told as a loss.
func TestWatchEndsWithTheRun(t *testing.T) {
	f := newFake(t, twoNodes()...)
	c, err := New(context.Background(), f.config())
	if err != nil {
		t.Fatal(err)
	}
	c.OnLoss(func(l cluster.Loss) { t.Errorf("told %+v while closing", l) })
	watching(t, f, 1)
	if watchGoroutines() == 0 {
		t.Fatal("no goroutine of the watch found while it runs: the check below would prove nothing")
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := watchGoroutines(); n != 0 {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines of the watch left after Close:\n%s", n, buf[:runtime.Stack(buf, true)])
	}
}

// watchGoroutines counts the goroutines running the informer's code.
func watchGoroutines() int {
	buf := make([]byte, 1<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "k8s.io/client-go/tools/cache.") {
			n++
		}
	}
	return n
}
