//go:build e2e

package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster/kube"
	"github.com/cnibench/cnibench/internal/runrecord"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
)

// TestKubeCtrlC runs the real command, `cnibench run --cluster kube`, as a
// process and sends it SIGINT (what Ctrl-C sends) while its first test
// runs: it exits 130, prints the partial record marked incomplete, and
// leaves no namespace of its own behind.
func TestKubeCtrlC(t *testing.T) {
	c, cfg := setup(t, modes()[0])
	bin := filepath.Join(t.TempDir(), "cnibench")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/cnibench").CombinedOutput(); err != nil {
		t.Fatalf("build cnibench: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "run", "--cluster", "kube", "--kubeconfig", c.Kubeconfig, "--image", cfg.Image,
		"--image-pull-policy", string(cfg.PullPolicy), "--scenarios", "node-node", "--duration", "20s", "--repeats", "2", "-o", "json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill() // our own child, by PID
			<-exited
		}
	}()

	// Wait until its namespace has Running pods, then give the first test a
	// moment to start.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns := waitRunNamespace(ctx, t, c.Client.CoreV1(), exited)
	time.Sleep(3 * time.Second)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var err error
	select {
	case err = <-exited:
	case <-time.After(2 * time.Minute):
		t.Fatalf("cnibench still running 2m after SIGINT; stderr:\n%s", stderr.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("exit %v, want status 130; stderr:\n%s", err, stderr.String())
	}
	t.Logf("exited %v after SIGINT, namespace %s; stderr:\n%s", time.Since(start).Round(time.Millisecond), ns, stderr.String())
	var run runrecord.Run
	if err := json.Unmarshal(stdout.Bytes(), &run); err != nil {
		t.Errorf("stdout is not the partial run record: %v\n%s", err, stdout.String())
	} else if run.Complete || run.Cluster.Kind != "kube" {
		t.Errorf("record: complete %v, cluster %q; want incomplete, kube", run.Complete, run.Cluster.Kind)
	}
	checkGone(t, c.Client, ns)
}

// waitRunNamespace returns the namespace of the run in progress once its
// pods run; it fails the test if the process exits first.
func waitRunNamespace(ctx context.Context, t *testing.T, core typedcorev1.CoreV1Interface, exited <-chan error) string {
	t.Helper()
	for {
		select {
		case err := <-exited:
			t.Fatalf("cnibench exited before its pods ran: %v", err)
		case <-ctx.Done():
			t.Fatal("no run namespace with running pods")
		case <-time.After(300 * time.Millisecond):
		}
		list, err := core.Namespaces().List(ctx, metav1.ListOptions{LabelSelector: kube.LabelManagedBy + "=" + kube.ManagedBy})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range list.Items {
			if !strings.HasPrefix(n.Name, kube.NamespacePrefix) || n.Status.Phase != corev1.NamespaceActive {
				continue
			}
			pods, err := core.Pods(n.Name).List(ctx, metav1.ListOptions{})
			if err != nil || len(pods.Items) == 0 {
				continue
			}
			running := 0
			for _, p := range pods.Items {
				if p.Status.Phase == corev1.PodRunning {
					running++
				}
			}
			if running == len(pods.Items) {
				return n.Name
			}
		}
	}
}
