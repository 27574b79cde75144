package kube

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/cnibench/cnibench/internal/agent"
	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/nodecpu"
)

var _ cluster.CPUSampler = (*Cluster)(nil)

// NodeCPU reads node's CPU times by exec of `cnibench cpustat` in its node
// endpoint, the hostNetwork pod on it: /proc/stat is not namespaced, so
// the pod reads the node's. The exec itself costs the node a few
// milliseconds of CPU, inside the window it measures.
func (c *Cluster) NodeCPU(ctx context.Context, node string) (nodecpu.Times, error) {
	var pod string
	for _, ep := range c.eps {
		if ep.Kind == cluster.NodeEndpoint && ep.Node == node {
			pod = c.byName[ep.Name].name
		}
	}
	if pod == "" {
		return nodecpu.Times{}, fmt.Errorf("no node endpoint on node %q", node)
	}
	var out, stderr bytes.Buffer
	if err := c.cfg.Exec.Exec(ctx, c.ns, pod, containerName, agent.CPUStatArgs(binaryPath), &out, &stderr); err != nil {
		return nodecpu.Times{}, fmt.Errorf("read node CPU in %s/%s: %w: %s", c.ns, pod, explain(err), agent.Truncate(strings.TrimSpace(stderr.String()), 300))
	}
	t, err := agent.ReadCPUStat(out.Bytes())
	if err != nil {
		return nodecpu.Times{}, fmt.Errorf("read node CPU in %s/%s: %w", c.ns, pod, err)
	}
	return t, nil
}
