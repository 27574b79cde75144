package kube

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

func TestChooseNodes(t *testing.T) {
	cp := func(n *corev1.Node) {
		n.Labels[labelControlPlane] = ""
		n.Spec.Taints = []corev1.Taint{{Key: labelControlPlane, Effect: corev1.TaintEffectNoSchedule}}
	}
	cpUntainted := func(n *corev1.Node) { n.Labels[labelControlPlane] = "" }
	notReady := func(n *corev1.Node) { n.Status.Conditions[0].Status = corev1.ConditionFalse }
	cordoned := func(n *corev1.Node) { n.Spec.Unschedulable = true }
	zone := func(z string) func(*corev1.Node) { return func(n *corev1.Node) { n.Labels[labelZone] = z } }
	arm := func(n *corev1.Node) { n.Labels[labelArch] = "arm64" }
	dedicated := func(v string) func(*corev1.Node) {
		return func(n *corev1.Node) {
			n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: v, Effect: corev1.TaintEffectNoSchedule}}
		}
	}
	for _, tc := range []struct {
		name       string
		nodes      []*corev1.Node
		want       []string
		pick       [2]string
		reason     string
		err        string
		excludedOn string
		tols       []corev1.Toleration
	}{
		{name: "first two by name", nodes: []*corev1.Node{node("c", "1"), node("b", "2"), node("a", "3")}, pick: [2]string{"a", "b"}, reason: "workers"},
		{name: "control plane and cordoned skipped", nodes: []*corev1.Node{node("a-cp", "1", cp), node("b", "2", cordoned), node("c", "3"), node("d", "4", notReady), node("e", "5")},
			pick: [2]string{"c", "e"}, excludedOn: "a-cp"},
		{name: "workers before an untainted control plane", nodes: []*corev1.Node{node("a", "1", cpUntainted), node("b", "2"), node("c", "3")}, pick: [2]string{"b", "c"}},
		{name: "untainted control plane when needed", nodes: []*corev1.Node{node("a", "1", cpUntainted), node("b", "2")}, pick: [2]string{"b", "a"}},
		{name: "different zones preferred", nodes: []*corev1.Node{node("a", "1", zone("z1")), node("b", "2", zone("z1")), node("c", "3", zone("z2"))}, pick: [2]string{"a", "c"}, reason: "different zones (z1, z2)"},
		{name: "same arch only", nodes: []*corev1.Node{node("a", "1", arm), node("b", "2"), node("c", "3")}, pick: [2]string{"b", "c"}},
		{name: "given", nodes: []*corev1.Node{node("a", "1"), node("b", "2"), node("c", "3")}, want: []string{"c", "a"}, pick: [2]string{"c", "a"}, reason: "given by name"},
		{name: "given tainted is tolerated", nodes: []*corev1.Node{node("a", "1", cp), node("b", "2")}, want: []string{"a", "b"}, pick: [2]string{"a", "b"}, reason: "tolerated"},
		{name: "given not ready", nodes: []*corev1.Node{node("a", "1", notReady), node("b", "2")}, want: []string{"a", "b"}, err: "node a is not Ready"},
		{name: "given twice", nodes: []*corev1.Node{node("a", "1"), node("b", "2")}, want: []string{"a", "a"}, err: "two different nodes"},
		{name: "too few", nodes: []*corev1.Node{node("a", "1", cp), node("b", "2"), node("c", "3", notReady)}, err: "a: tainted node-role.kubernetes.io/control-plane:NoSchedule; c: not Ready): name two nodes (Config.Nodes) to use tainted ones, or tolerate their taints (Config.Tolerations), or allow control-plane nodes (Config.TolerateControlPlane)"},
		{name: "tolerated control plane", nodes: []*corev1.Node{node("a", "1", cp), node("b", "2"), node("c", "3", notReady)}, tols: ControlPlaneTolerations(),
			pick: [2]string{"b", "a"}, reason: "taints tolerated: node-role.kubernetes.io/control-plane:NoSchedule on a"},
		{name: "tolerated control plane after workers", nodes: []*corev1.Node{node("a", "1", cp), node("b", "2"), node("c", "3")}, tols: ControlPlaneTolerations(),
			pick: [2]string{"b", "c"}, reason: "workers"},
		{name: "tolerating control plane only", nodes: []*corev1.Node{node("a", "1", cp), node("b", "2", func(n *corev1.Node) {
			n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Effect: corev1.TaintEffectNoSchedule}}
		})}, tols: ControlPlaneTolerations(), err: "b: tainted dedicated:NoSchedule): name two nodes (Config.Nodes) to use tainted ones, or tolerate their taints (Config.Tolerations)"},
		{name: "dedicated nodes tolerated", nodes: []*corev1.Node{node("a", "1"), node("b", "2", dedicated("bench")), node("c", "3", dedicated("bench"))},
			tols: []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "bench", Effect: corev1.TaintEffectNoSchedule}},
			pick: [2]string{"a", "b"}, reason: "taints tolerated: dedicated:NoSchedule on b"},
		{name: "another dedication is not tolerated", nodes: []*corev1.Node{node("a", "1", dedicated("db")), node("b", "2")},
			tols: []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "bench", Effect: corev1.TaintEffectNoSchedule}},
			err:  "a: tainted dedicated:NoSchedule"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var nodes []corev1.Node
			for _, n := range tc.nodes {
				nodes = append(nodes, *n)
			}
			ch, err := ChooseNodes(nodes, tc.want, tc.tols)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				// Typed, so that the CLI can say it in its flags' words.
				var np *NoPairError
				var se *SettingError
				if !errors.As(err, &np) && !errors.As(err, &se) {
					t.Errorf("error %T is neither a *NoPairError nor a *SettingError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ch.Nodes != tc.pick {
				t.Errorf("picked %v, want %v (%s)", ch.Nodes, tc.pick, ch.Reason)
			}
			if !strings.Contains(ch.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", ch.Reason, tc.reason)
			}
			if tc.excludedOn != "" && ch.Excluded[tc.excludedOn] == "" {
				t.Errorf("no reason recorded for excluding %s: %v", tc.excludedOn, ch.Excluded)
			}
		})
	}
}

func TestTaintsTolerated(t *testing.T) {
	cfg := Config{ID: "x", Image: "i", Port: 5201}
	taint := corev1.Taint{Key: "dedicated", Value: "net", Effect: corev1.TaintEffectNoSchedule}
	p := podObject(cfg, podSpec{name: "pod-1a", node: "a", kind: "pod", taint: []corev1.Taint{taint}})
	if len(p.Spec.Tolerations) != 1 || p.Spec.Tolerations[0].Key != "dedicated" || p.Spec.Tolerations[0].Operator != corev1.TolerationOpExists {
		t.Errorf("tolerations %+v", p.Spec.Tolerations)
	}
}

// A node that just became Ready keeps node.kubernetes.io/not-ready for a
// moment: New waits for the node controller to remove it.
func TestNewWaitsOutNotReadyTaint(t *testing.T) {
	tainted := node("node-1", "198.18.0.1", func(n *corev1.Node) {
		n.Spec.Taints = []corev1.Taint{{Key: "node.kubernetes.io/not-ready", Effect: corev1.TaintEffectNoExecute}}
	})
	f := newFake(t, tainted, node("node-2", "198.18.0.2"))
	lists := 0
	f.cs.PrependReactor("list", "nodes", func(a k8stesting.Action) (bool, runtime.Object, error) {
		lists++
		if lists == 2 {
			n := tainted.DeepCopy()
			n.Spec.Taints = nil
			if err := f.cs.Tracker().Update(corev1.SchemeGroupVersion.WithResource("nodes"), n, ""); err != nil {
				t.Error(err)
			}
		}
		return false, nil, nil
	})
	cfg := f.config()
	cfg.NodeSettle = 10 * time.Second
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if c.NodeChoice().Nodes != [2]string{"node-1", "node-2"} || lists < 2 {
		t.Errorf("chose %v after %d lists", c.NodeChoice().Nodes, lists)
	}
}

func TestNewToleratesControlPlane(t *testing.T) {
	cp := func(n *corev1.Node) {
		n.Labels[labelControlPlane] = ""
		n.Spec.Taints = []corev1.Taint{{Key: labelControlPlane, Effect: corev1.TaintEffectNoSchedule}}
	}
	f := newFake(t, node("node-1", "198.18.0.1", cp), node("node-2", "198.18.0.2"))
	cfg := f.config()
	var np *NoPairError
	if _, err := New(context.Background(), cfg); !errors.As(err, &np) || np.ControlPlaneTolerated || !strings.Contains(err.Error(), "allow control-plane nodes") {
		t.Fatalf("without TolerateControlPlane: %v", err)
	}
	cfg.TolerateControlPlane = true
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if c.NodeChoice().Nodes != [2]string{"node-2", "node-1"} {
		t.Errorf("chose %v", c.NodeChoice().Nodes)
	}
	pods, err := f.cs.CoreV1().Pods(c.Namespace()).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		tolerates := slices.ContainsFunc(p.Spec.Tolerations, func(tl corev1.Toleration) bool {
			return tl.Key == labelControlPlane && tl.Effect == corev1.TaintEffectNoSchedule
		})
		if tolerates != (p.Spec.NodeName == "node-1") {
			t.Errorf("pod %s on %s: tolerations %+v", p.Name, p.Spec.NodeName, p.Spec.Tolerations)
		}
	}
}

func TestParseToleration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want corev1.Toleration
		err  string
	}{
		{in: "dedicated=bench:NoSchedule", want: corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "bench", Effect: corev1.TaintEffectNoSchedule}},
		{in: "gpu:NoExecute", want: corev1.Toleration{Key: "gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}},
		{in: "gpu", want: corev1.Toleration{Key: "gpu", Operator: corev1.TolerationOpExists}},
		{in: "gpu=a100", want: corev1.Toleration{Key: "gpu", Operator: corev1.TolerationOpEqual, Value: "a100"}},
		{in: "gpu:Never", err: `effect "Never": use NoSchedule, PreferNoSchedule or NoExecute`},
		{in: "=x:NoSchedule", err: "no key"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseToleration(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				// Typed, so that the CLI can say it in its flags' words.
				var np *NoPairError
				var se *SettingError
				if !errors.As(err, &np) && !errors.As(err, &se) {
					t.Errorf("error %T is neither a *NoPairError nor a *SettingError", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("%+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// TestTolerationsReachThePods: a node set aside by a taint is chosen when
// --toleration tolerates it, and the pods placed there tolerate the taint.
func TestTolerationsReachThePods(t *testing.T) {
	taint := corev1.Taint{Key: "dedicated", Value: "bench", Effect: corev1.TaintEffectNoSchedule}
	f := newFake(t, node("node-1", "198.18.0.1", func(n *corev1.Node) { n.Spec.Taints = []corev1.Taint{taint} }), node("node-2", "198.18.0.2"))
	cfg := f.config()
	tol, err := ParseToleration("dedicated=bench:NoSchedule")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tolerations = []corev1.Toleration{tol}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	pods, err := f.cs.CoreV1().Pods(c.Namespace()).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		tolerates := slices.ContainsFunc(p.Spec.Tolerations, func(tl corev1.Toleration) bool { return tl.ToleratesTaint(&taint) })
		if onNode1 := p.Labels[LabelNode] == "node-1"; tolerates != onNode1 {
			t.Errorf("pod %s on %s: tolerates %s: %v", p.Name, p.Labels[LabelNode], taint.Key, tolerates)
		}
	}
}
