package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/agent"
	"github.com/cnibench/cnibench/internal/cluster"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Expose creates a ClusterIP Service and a NodePort Service selecting the
// server's pod (TCP and UDP on the server's port; the NodePort is the same
// number for both, as an iperf3 UDP test needs) and waits until their
// EndpointSlices list the pod Ready and every target answers from each
// node of the pair (probeTargets). Targets: the ClusterIP(s), then the
// NodePort on each node of the pair, at each of its addresses in the
// Service's families. An external server has no Services:
// none, and no error. With externalTrafficPolicy Local the NodePort on the
// node without the backend is returned but not probed (refusedNodePort).
func (c *Cluster) Expose(ctx context.Context, srv cluster.Server) ([]cluster.Target, error) {
	if _, ok := srv.(*externalServer); ok {
		return nil, nil // outside the cluster: no Service selects it
	}
	s, ok := srv.(*server)
	if !ok || s.c != c {
		return nil, errors.New("expose: the server was not started by this cluster")
	}
	api := c.cfg.Client.CoreV1().Services(c.ns)
	cip, err := api.Create(ctx, serviceObject(c.cfg, s.pod, s.pod, corev1.ServiceTypeClusterIP), metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("create Service %s: %w", s.pod, explain(err))
	}
	if err := c.noteServiceFamilies(cip); err != nil {
		return nil, err
	}
	npObj := serviceObject(c.cfg, s.pod+"-np", s.pod, corev1.ServiceTypeNodePort)
	npObj.Spec.Ports = npObj.Spec.Ports[:1] // TCP first, to learn its node port
	npObj.Spec.ExternalTrafficPolicy = c.cfg.ExternalTrafficPolicy
	np, err := api.Create(ctx, npObj, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("create Service %s: %w", npObj.Name, explain(err))
	}
	nodePort := np.Spec.Ports[0].NodePort
	udp := serviceObject(c.cfg, "", s.pod, corev1.ServiceTypeNodePort).Spec.Ports[1]
	udp.NodePort = nodePort
	np.Spec.Ports = append(np.Spec.Ports, udp)
	if np, err = api.Update(ctx, np, metav1.UpdateOptions{}); err != nil {
		return nil, fmt.Errorf("add UDP port %d to Service %s: %w", nodePort, npObj.Name, explain(err))
	}
	for _, name := range []string{cip.Name, np.Name} {
		if err := c.waitEndpointSlice(ctx, name, s.pod); err != nil {
			return nil, err
		}
	}
	var ts []cluster.Target
	ips := cip.Spec.ClusterIPs
	if len(ips) == 0 {
		ips = []string{cip.Spec.ClusterIP}
	}
	for _, ip := range ips {
		if a, err := netip.ParseAddr(ip); err == nil {
			ts = append(ts, cluster.Target{Kind: cluster.ClusterIPTarget, Addr: netip.AddrPortFrom(a, uint16(c.cfg.Port)), Backend: s.ep})
		}
	}
	for _, e := range c.eps {
		if e.Kind != cluster.NodeEndpoint {
			continue
		}
		for _, a := range e.Addrs {
			if servesFamily(np, a) {
				ts = append(ts, cluster.Target{Kind: cluster.NodePortTarget, Addr: netip.AddrPortFrom(a, uint16(nodePort)), Backend: s.ep})
			}
		}
	}
	var answer []cluster.Target // refused ones never answer: RunClient says why
	for _, t := range ts {
		if c.refusedNodePort(t) == nil {
			answer = append(answer, t)
		}
	}
	if err := c.probeTargets(ctx, answer); err != nil {
		return nil, err
	}
	c.noteExposed(s.pod, ts)
	return ts, nil
}

// servesFamily reports whether Service svc answers at node address a: a
// NodePort is programmed only in the Service's IP families (a single-stack
// IPv4 Service on a dual-stack cluster refuses the nodes' IPv6 addresses).
// A Service that records no families (older API servers) answers in any.
func servesFamily(svc *corev1.Service, a netip.Addr) bool {
	if len(svc.Spec.IPFamilies) == 0 {
		return true
	}
	f := corev1.IPv4Protocol
	if a.Unmap().Is6() {
		f = corev1.IPv6Protocol
	}
	return slices.Contains(svc.Spec.IPFamilies, f)
}

// probeTargets waits until every target answers a TCP connection from a
// pod on each node of the pair, by exec of `cnibench probe`: a Service
// listed Ready in its EndpointSlices may not be programmed on a node yet,
// and each node's proxy programs it on its own.
func (c *Cluster) probeTargets(ctx context.Context, ts []cluster.Target) error {
	if len(ts) == 0 {
		return nil
	}
	addrs := make([]netip.AddrPort, len(ts))
	for i, t := range ts {
		addrs[i] = t.Addr
	}
	cmd := agent.ProbeArgs(binaryPath, serviceProbeTimeout, addrs)
	for _, node := range c.choice.Nodes {
		ep, ok := c.firstPod(node)
		if !ok {
			continue
		}
		pod := c.byName[ep.Name].name
		start := time.Now()
		var out, stderr bytes.Buffer
		if err := c.cfg.Exec.Exec(ctx, c.ns, pod, containerName, cmd, &out, &stderr); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("the Services of %s do not answer from pod %s on %s (is kube-proxy, or the CNI's Service proxy, running there?): %w: %s",
				ts[0].Backend.Name, pod, node, explain(err), agent.Truncate(strings.TrimSpace(stderr.String()), 500))
		}
		c.cfg.Logger.Info("services answer", "from", pod, "after", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// waitEndpointSlice waits until the Service's EndpointSlices list pod Ready.
func (c *Cluster) waitEndpointSlice(ctx context.Context, svc, pod string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		list, err := c.cfg.Client.DiscoveryV1().EndpointSlices(c.ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
		if err != nil {
			return fmt.Errorf("EndpointSlices of Service %s: %w", svc, explain(err))
		}
		for _, sl := range list.Items {
			for _, e := range sl.Endpoints {
				if e.TargetRef != nil && e.TargetRef.Name == pod && (e.Conditions.Ready == nil || *e.Conditions.Ready) {
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the Service %s has no Ready endpoint for pod %s after 1m: is kube-controller-manager's endpointslice controller running?", svc, pod)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
