//go:build e2e

package kube

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster/kube"
	"github.com/cnibench/cnibench/internal/runid"
	"github.com/cnibench/cnibench/internal/testenv"
	e2e "github.com/cnibench/cnibench/test/e2e/cluster"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

var crds = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// TestKubeDetectsCalicoAndCilium puts Calico's and Cilium's configuration
// objects (an IPPool through a real CustomResourceDefinition, then the
// cilium-config ConfigMap) on the bridge cluster, whose CNI is neither,
// and checks what a run records: the CNI, its datapath, and the MTU
// warning a VXLAN pool over 1500-byte pods deserves, as a run warning.
// The harness cannot run Calico or Cilium themselves (no registry here),
// so this proves detection against a real API server, not their datapaths.
func TestKubeDetectsCalicoAndCilium(t *testing.T) {
	c, cfg := setup(t, e2e.Bridge)
	if c.External {
		testenv.SkipOrFail(t, "creates a CRD and kube-system objects: only on the harness's own cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dyn, err := dynamic.NewForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dynamic = dyn

	// Calico: an enabled IPv4 pool in VXLAN mode.
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "ippools.crd.projectcalico.org"},
		"spec": map[string]any{
			"group": "crd.projectcalico.org", "scope": "Cluster",
			"names": map[string]any{"plural": "ippools", "singular": "ippool", "kind": "IPPool", "listKind": "IPPoolList"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}},
		},
	}}
	if _, err := dyn.Resource(crds).Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dyn.Resource(crds).Delete(context.Background(), crd.GetName(), metav1.DeleteOptions{}) })
	pool := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool",
		"metadata": map[string]any{"name": "default-ipv4-ippool"},
		"spec":     map[string]any{"cidr": e2e.PodNet.String(), "vxlanMode": "Always", "ipipMode": "Never"},
	}}
	waitFor(ctx, t, "the IPPool CRD to serve", func() error {
		_, err := dyn.Resource(kube.CalicoIPPools).Create(ctx, pool, metav1.CreateOptions{})
		return err
	})
	cni, warnings := detect(ctx, t, cfg)
	if cni.Name != "calico" || cni.Datapath != "vxlan" || cni.HeaderTax != 50 || !strings.Contains(cni.Source, "IPPool default-ipv4-ippool") {
		t.Errorf("with a VXLAN IPPool: %+v", cni)
	}
	if len(warnings) != 2 || !strings.Contains(warnings[0], "set calico's MTU to 1450 (node MTU 1500 − VXLAN 50)") {
		t.Errorf("warnings %q, want the MTU mismatch of 1500-byte pods under VXLAN on both nodes", warnings)
	}
	if err := dyn.Resource(crds).Delete(ctx, crd.GetName(), metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the IPPool CRD to go", func() error {
		if _, err := dyn.Resource(crds).Get(ctx, crd.GetName(), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			return errStill
		}
		return nil
	})

	// Cilium: native routing, so no encapsulation and no MTU warning.
	cms := c.Client.CoreV1().ConfigMaps("kube-system")
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cilium-config"}, Data: map[string]string{"routing-mode": "native"}}
	if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cms.Delete(context.Background(), cm.Name, metav1.DeleteOptions{}) })
	cni, warnings = detect(ctx, t, cfg)
	if cni.Name != "cilium" || cni.Datapath != "routed" || len(warnings) != 0 {
		t.Errorf("with cilium-config routing-mode native: %+v, warnings %q", cni, warnings)
	}
}

// errStill is a condition not met yet.
var errStill = errors.New("not yet")

// waitFor retries cond every 200 ms until it succeeds or ctx ends.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() error) {
	t.Helper()
	for {
		err := cond()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// detect opens a run on the cluster and returns the CNI and the warnings
// its Info records.
func detect(ctx context.Context, t *testing.T, cfg kube.Config) (kube.CNI, []string) {
	t.Helper()
	cfg.ID = runid.New()
	kc, err := kube.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close(context.Background())
	info, err := kc.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := info.Details.(kube.Details)
	t.Logf("detected %+v; warnings %q", d.CNI, info.Warnings)
	return d.CNI, info.Warnings
}
