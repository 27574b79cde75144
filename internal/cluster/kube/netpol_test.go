package kube

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilexec "k8s.io/client-go/util/exec"
)

// shortPolicyWaits keeps the enforcement probe's bounds small in a test.
func shortPolicyWaits(t *testing.T) {
	block, try, open := policyBlockWait, policyProbeTry, policyOpenWait
	policyBlockWait, policyProbeTry, policyOpenWait = 200*time.Millisecond, 10*time.Millisecond, 50*time.Millisecond
	t.Cleanup(func() { policyBlockWait, policyProbeTry, policyOpenWait = block, try, open })
}

// exitOne is what a failed command in a pod returns through exec.
var exitOne = utilexec.CodeExitError{Err: errors.New("command terminated with exit code 1"), Code: 1}

func TestWithPoliciesCreatesThenCloseDeletes(t *testing.T) {
	shortPolicyWaits(t)
	for _, n := range []int{0, 1, 25} {
		f := newFake(t, twoNodes()...)
		c := newCluster(t, f)
		ctx := context.Background()
		v, err := c.WithPolicies(ctx, n)
		if err != nil {
			t.Fatalf("%d policies: %v", n, err)
		}
		list, err := f.cs.NetworkingV1().NetworkPolicies(c.Namespace()).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != n {
			t.Fatalf("%d NetworkPolicies after WithPolicies(%d)", len(list.Items), n)
		}
		for _, p := range list.Items {
			if p.Labels[LabelRun] != testID || p.Labels[LabelPolicy] != PolicyAllow {
				t.Errorf("policy %s labels %v: want the run's and %s=%s", p.Name, p.Labels, LabelPolicy, PolicyAllow)
			}
			if sel := p.Spec.PodSelector.MatchLabels; sel[LabelRun] != testID || sel[labelKind] != kindPod {
				t.Errorf("policy %s selects %v: want the run's non-hostNetwork pods", p.Name, sel)
			}
			if len(p.Spec.Ingress) != 1 || len(p.Spec.Ingress[0].From) == 0 {
				t.Errorf("policy %s lets nothing in: %+v", p.Name, p.Spec.Ingress)
			}
		}
		if err := v.Close(ctx); err != nil {
			t.Fatal(err)
		}
		list, _ = f.cs.NetworkingV1().NetworkPolicies(c.Namespace()).List(ctx, metav1.ListOptions{})
		pods, _ := f.cs.CoreV1().Pods(c.Namespace()).List(ctx, metav1.ListOptions{})
		if len(list.Items) != 0 || len(pods.Items) == 0 {
			t.Errorf("after Close: %d NetworkPolicies (want 0), %d pods (want the run's)", len(list.Items), len(pods.Items))
		}
	}
}

func TestWithPoliciesRefusesBadCount(t *testing.T) {
	f := newFake(t, twoNodes()...)
	c := newCluster(t, f)
	for _, n := range []int{-1, MaxPolicies + 1} {
		if _, err := c.WithPolicies(context.Background(), n); err == nil {
			t.Errorf("WithPolicies(%d) = nil error", n)
		}
	}
}

func TestProveEnforcement(t *testing.T) {
	shortPolicyWaits(t)
	brokenExec := errors.New("error dialing backend: EOF")
	tests := []struct {
		name    string
		blocked func(denied bool) error // the probe's result, with or without the deny policy
		wantErr error                   // nil = enforced
		anyErr  bool
	}{
		{"enforcer blocks", func(denied bool) error {
			if denied {
				return exitOne
			}
			return nil
		}, nil, false},
		{"no enforcer", func(bool) error { return nil }, ErrPoliciesNotEnforced, true},
		{"path closed from the start", func(bool) error { return exitOne }, nil, true},
		{"exec broken", func(denied bool) error {
			if denied {
				return brokenExec
			}
			return nil
		}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, twoNodes()...)
			c := newCluster(t, f)
			ctx := context.Background()
			f.exec.probe = func(cmd []string, stderr io.Writer) error {
				list, err := f.cs.NetworkingV1().NetworkPolicies(c.Namespace()).List(ctx, metav1.ListOptions{})
				if err != nil {
					return err
				}
				return tt.blocked(len(list.Items) > 0)
			}
			err := c.ProveEnforcement(ctx)
			switch {
			case !tt.anyErr && err != nil:
				t.Fatalf("ProveEnforcement: %v", err)
			case tt.anyErr && err == nil:
				t.Fatal("ProveEnforcement = nil, want an error")
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("ProveEnforcement: %v, want %v", err, tt.wantErr)
			}
			list, _ := f.cs.NetworkingV1().NetworkPolicies(c.Namespace()).List(ctx, metav1.ListOptions{})
			if len(list.Items) != 0 {
				t.Errorf("the deny policy was left behind: %d NetworkPolicies", len(list.Items))
			}
		})
	}
}

func TestCloseInGivenNamespaceRemovesPolicies(t *testing.T) {
	shortPolicyWaits(t)
	users := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "users", Namespace: givenNS, Labels: labels("other")}}
	f := newFake(t, append(twoNodes(), append(theirs(time.Now()), users)...)...)
	cfg := f.config()
	cfg.Namespace = givenNS
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.WithPolicies(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	list, _ := f.cs.NetworkingV1().NetworkPolicies(givenNS).List(ctx, metav1.ListOptions{})
	if len(list.Items) != 1 || list.Items[0].Name != "users" {
		t.Errorf("NetworkPolicies left in the given namespace: %v, want only the user's", list.Items)
	}
}
