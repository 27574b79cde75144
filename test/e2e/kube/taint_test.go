//go:build e2e

package kube

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster/kube"
	"github.com/cnibench/cnibench/internal/runid"
	"github.com/cnibench/cnibench/internal/testenv"
	e2e "github.com/cnibench/cnibench/test/e2e/cluster"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestKubeToleration sets node-2 aside with a taint, as a team does for
// benchmark nodes: the automatic choice refuses it and says which taint,
// and with --toleration it takes it and its pods run there.
func TestKubeToleration(t *testing.T) {
	c, cfg := setup(t, modes()[0])
	if c.External {
		testenv.SkipOrFail(t, "taints a node: only on the harness's own cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	taint := corev1.Taint{Key: "cnibench.io/e2e-dedicated", Value: "bench", Effect: corev1.TaintEffectNoSchedule}
	setTaints := func(ctx context.Context, taints []corev1.Taint) {
		n, err := c.Client.CoreV1().Nodes().Get(ctx, e2e.NodeName(2), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n.Spec.Taints = append(slices.DeleteFunc(n.Spec.Taints, func(x corev1.Taint) bool { return x.Key == taint.Key }), taints...)
		if _, err := c.Client.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	setTaints(ctx, []corev1.Taint{taint})
	t.Cleanup(func() { setTaints(context.Background(), nil) })

	// The library names Config.Tolerations; the CLI says --toleration (cli's TestInFlagWords).
	var np *kube.NoPairError
	if _, err := kube.New(ctx, cfg); !errors.As(err, &np) || !strings.Contains(err.Error(), "tainted "+taint.Key+":NoSchedule") || !strings.Contains(err.Error(), "tolerate their taints") {
		t.Fatalf("without a toleration: %v; want a *kube.NoPairError naming the taint and suggesting a toleration", err)
	}
	tol, err := kube.ParseToleration(taint.Key + "=bench:NoSchedule")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tolerations, cfg.ID = []corev1.Toleration{tol}, runid.New()
	kc, err := kube.New(ctx, cfg)
	if err != nil {
		t.Fatalf("with --toleration: %v", err)
	}
	defer kc.Close(context.Background())
	ch := kc.NodeChoice()
	t.Logf("nodes %v: %s", ch.Nodes, ch.Reason)
	if !slices.Contains(ch.Nodes[:], e2e.NodeName(2)) || !strings.Contains(ch.Reason, "taints tolerated: "+taint.Key) {
		t.Errorf("choice %v (%s): want %s, its taint tolerated", ch.Nodes, ch.Reason, e2e.NodeName(2))
	}
	checkPlacement(ctx, t, c.Client, kc.Namespace())
}
