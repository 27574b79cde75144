//go:build e2e

package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/runrecord"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestKubeInCluster runs `cnibench run --cluster kube` as a pod, with no
// kubeconfig and no flags to connect: it finds the API server through the
// pod's in-cluster config (the ServiceAccount token, KUBERNETES_SERVICE_*),
// as kubectl does, bound only to deploy/rbac.yaml's ClusterRole.
func TestKubeInCluster(t *testing.T) {
	c, cfg := setup(t, modes()[0])
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	sa := boundServiceAccount(ctx, t, c.Client, documentedRole(t).Rules)
	yes, no := true, false
	uid := int64(65532)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: sa},
		Spec: corev1.PodSpec{
			ServiceAccountName:           sa,
			AutomountServiceAccountToken: &yes,
			RestartPolicy:                corev1.RestartPolicyNever,
			SecurityContext:              &corev1.PodSecurityContext{RunAsNonRoot: &yes, RunAsUser: &uid},
			Containers: []corev1.Container{{
				Name: "run", Image: cfg.Image, ImagePullPolicy: cfg.PullPolicy,
				Command: []string{"/cnibench", "run", "--cluster", "kube", "--image", cfg.Image, "--image-pull-policy", string(cfg.PullPolicy),
					"--scenarios", "node-node,pod-pod-cross", "--repeats", "1", "--duration", "1s", "-q", "-o", "json"},
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes, Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
			}},
		},
	}
	pods := c.Client.CoreV1().Pods(saNamespace)
	if _, err := pods.Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pods.Delete(context.Background(), sa, metav1.DeleteOptions{}) })
	start := time.Now()
	var phase corev1.PodPhase
	for phase != corev1.PodSucceeded && phase != corev1.PodFailed {
		select {
		case <-ctx.Done():
			t.Fatalf("the run's pod is still %s after %v", phase, time.Since(start).Round(time.Second))
		case <-time.After(500 * time.Millisecond):
		}
		p, err := pods.Get(ctx, sa, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		phase = p.Status.Phase
	}
	logs, err := pods.GetLogs(sa, &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the run's pod %s after %v", phase, time.Since(start).Round(time.Millisecond))
	run, err := recordIn(logs)
	if phase != corev1.PodSucceeded || err != nil {
		t.Fatalf("pod %s (%v); its log:\n%s", phase, err, logs)
	}
	if run.Cluster.Kind != "kube" || len(run.Samples) != 2 {
		t.Errorf("cluster %q %q, %d samples; want kube, 2 samples", run.Cluster.Kind, run.Cluster.Name, len(run.Samples))
	}
	for _, s := range run.Samples {
		if s.Error != "" || s.Result == nil {
			t.Errorf("%s: %s", s.Scenario, s.Error)
			continue
		}
		t.Logf("%s from inside the cluster: %.2f Gbit/s", s.Scenario, s.Result.Goodput()/1e9)
	}
}

// recordIn finds the run record (-o json) in a pod's log, where stderr's
// lines come before it.
func recordIn(logs []byte) (*runrecord.Run, error) {
	s := string(logs)
	i := strings.Index(s, "\n{")
	if !strings.HasPrefix(s, "{") {
		if i < 0 {
			return nil, fmt.Errorf("no JSON in the log")
		}
		s = s[i+1:]
	}
	var run runrecord.Run
	if err := json.NewDecoder(strings.NewReader(s)).Decode(&run); err != nil {
		return nil, err
	}
	return &run, nil
}
