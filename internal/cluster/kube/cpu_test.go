package kube

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// TestNodeCPUExecsCPUStat: the backend reads a node's CPU by exec of
// `cnibench cpustat` in the node's hostNetwork pod, and a failed exec or
// foreign output is an error naming the pod and the reason, never times.
func TestNodeCPUExecsCPUStat(t *testing.T) {
	f := newFake(t, twoNodes()...)
	c := newCluster(t, f)
	ctx := context.Background()
	eps, _ := c.Endpoints(ctx)
	node := eps[1].Node
	got, err := c.NodeCPU(ctx, node)
	if err != nil {
		t.Fatal(err)
	}
	if got.CPUs != 4 || got.User == 0 {
		t.Errorf("NodeCPU = %+v", got)
	}
	pod, cmd := f.exec.pods[len(f.exec.pods)-1], f.exec.calls[len(f.exec.calls)-1]
	if pod != c.byName[eps[1].Name].name || !strings.Contains(pod, "host-") || !slices.Equal(cmd, []string{"/cnibench", "cpustat"}) {
		t.Errorf("exec %v in %s, want cpustat in %s's node endpoint", cmd, pod, node)
	}
	if f.exec.lastContainer() != containerName {
		t.Errorf("exec in container %s", f.exec.lastContainer())
	}

	for _, tc := range []struct {
		name    string
		cpustat func(string, io.Writer) error
		want    string
	}{
		{"exec fails", func(string, io.Writer) error { return errors.New("container not found") }, "container not found"},
		{"old image", func(_ string, out io.Writer) error {
			_, err := io.WriteString(out, "Usage:\n  cnibench [command]\n")
			return err
		}, "this version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.exec.cpustat = tc.cpustat
			if _, err := c.NodeCPU(ctx, node); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), pod) {
				t.Errorf("NodeCPU: %v, want an error naming %s and %q", err, pod, tc.want)
			}
		})
	}
	if _, err := c.NodeCPU(ctx, "node-9"); err == nil || !strings.Contains(err.Error(), "node-9") {
		t.Errorf("unknown node: %v", err)
	}
}
