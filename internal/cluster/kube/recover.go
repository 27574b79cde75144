package kube

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilexec "k8s.io/client-go/util/exec"
)

var _ cluster.Recoverer = (*Cluster)(nil)

// Recover checks the pods of eps and recreates any that was lost (deleted,
// evicted, OOM-killed, failed, or not Ready) on its node, when the node is
// Ready. It also reports an exec stream to the API server that broke since
// the last call, once the API server answers again. A node that is gone,
// or not Ready within NodeSettle, is a *cluster.LostError; an API server
// that does not answer within APITimeout stops the run.
func (c *Cluster) Recover(ctx context.Context, eps ...cluster.Endpoint) ([]cluster.Fault, error) {
	start := time.Now() // the pods' checks wait out the API server too
	var faults []cluster.Fault
	seen := map[string]bool{}
	for _, ep := range eps {
		p, ok := c.byName[ep.Name]
		if !ok || seen[p.name] {
			continue
		}
		seen[p.name] = true
		why, err := c.seenGone(p.name), error(nil) // the watch saw it go: no need to ask
		if why == "" {
			why, err = c.podLost(ctx, p)
		}
		if err != nil {
			return faults, err
		}
		if why == "" {
			continue
		}
		c.cfg.Logger.Warn("endpoint lost", "endpoint", ep.Name, "pod", p.name, "node", p.node, "why", why)
		if waited, ok := c.readyAgain(ctx, p, why); ok { // its node was away a moment, the pod kept running
			faults = append(faults, cluster.Fault{Endpoint: p.endpointName(), Node: p.node, Why: why,
				Recovery: fmt.Sprintf("Ready again after %v, not recreated", waited.Round(100*time.Millisecond))})
			continue
		}
		how, err := c.recreate(ctx, p, why)
		if err != nil {
			return faults, err
		}
		faults = append(faults, cluster.Fault{Endpoint: p.endpointName(), Node: p.node, Why: why, Recovery: how})
	}
	c.mu.Lock()
	broke := c.streamBroke
	c.streamBroke = nil
	c.mu.Unlock()
	if broke != nil && len(faults) == 0 { // a lost pod explains a broken stream
		if _, err := c.callAPI(ctx, "the API server's version", func(ctx context.Context) error {
			_, err := c.cfg.Client.Discovery().ServerVersion()
			return err
		}); err != nil {
			return faults, err
		}
		faults = append(faults, cluster.Fault{Why: "the exec stream through the API server broke: " + broke.Error(),
			Recovery: fmt.Sprintf("the API server answers again (waited %v)", time.Since(start).Round(100*time.Millisecond))})
	}
	return faults, nil
}

// noteExecErr remembers an exec that failed without the command's own
// exit status (the stream to the API server broke), for Recover to
// report; a cancelled or timed-out test is not a broken stream.
func (c *Cluster) noteExecErr(ctx context.Context, err error) {
	var exit utilexec.ExitError
	if err == nil || ctx.Err() != nil || errors.As(err, &exit) {
		return
	}
	c.mu.Lock()
	c.streamBroke = err
	c.mu.Unlock()
}

// podLost says why p's pod can no longer serve ("" = it can).
func (c *Cluster) podLost(ctx context.Context, p podSpec) (string, error) {
	var pod *corev1.Pod
	_, err := c.callAPI(ctx, "get pod "+p.name, func(ctx context.Context) (err error) {
		pod, err = c.cfg.Client.CoreV1().Pods(c.ns).Get(ctx, p.name, metav1.GetOptions{})
		return err
	})
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Sprintf("pod %s was deleted", p.name), nil
	case err != nil:
		return "", err
	}
	f := c.faultOf(pod)
	if f.notReady {
		if why := c.nodeFault(ctx, p.node); why != "" {
			return f.why + ": " + why, nil
		}
	}
	return f.why, nil
}

// podFault is why a pod can no longer serve: gone when its process is
// (deleted, evicted, OOM-killed, restarted), notReady when it may still
// run but is not Ready (its node's reason is for the caller to add).
type podFault struct {
	why      string // "" = it serves
	gone     bool
	notReady bool
}

// faultOf says what is wrong with pod, one of the run's, as it is now.
func (c *Cluster) faultOf(pod *corev1.Pod) podFault {
	c.mu.Lock()
	uid, restarts := c.uids[pod.Name], c.restarts[pod.Name]
	c.mu.Unlock()
	return faultAgainst(pod, uid, restarts)
}

// faultAgainst is faultOf against the pod the run knows by that name: its
// UID and its containers' restart counts when it became Ready.
func faultAgainst(pod *corev1.Pod, uid types.UID, restarts map[string]int32) podFault {
	switch {
	case uid != "" && pod.UID != uid:
		return podFault{why: fmt.Sprintf("pod %s was deleted and another of its name created", pod.Name), gone: true}
	case pod.DeletionTimestamp != nil:
		return podFault{why: fmt.Sprintf("pod %s is being deleted%s", pod.Name, disruption(pod)), gone: true}
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if t := cs.State.Terminated; t != nil && t.Reason == "OOMKilled" {
			return podFault{why: fmt.Sprintf("pod %s was OOM-killed (container %s)", pod.Name, cs.Name), gone: true}
		}
		if cs.RestartCount > restarts[cs.Name] {
			if t := cs.LastTerminationState.Terminated; t != nil && t.Reason == "OOMKilled" {
				return podFault{why: fmt.Sprintf("pod %s was OOM-killed (container %s, restarted)", pod.Name, cs.Name), gone: true}
			}
			return podFault{why: fmt.Sprintf("pod %s's container %s restarted", pod.Name, cs.Name), gone: true}
		}
	}
	if pod.Status.Phase == corev1.PodFailed && pod.Status.Reason != "" {
		return podFault{why: fmt.Sprintf("pod %s failed: %s: %s", pod.Name, pod.Status.Reason, pod.Status.Message), gone: true} // Evicted: the node's pressure
	}
	if why := hopeless(pod); why != "" {
		return podFault{why: fmt.Sprintf("pod %s stopped: %s", pod.Name, why), gone: true}
	}
	if !podReady(pod) {
		return podFault{why: fmt.Sprintf("pod %s is not Ready", pod.Name), notReady: true}
	}
	return podFault{}
}

// restartsOf is each container's restart count, the baseline a restart
// is noticed against.
func restartsOf(pod *corev1.Pod) map[string]int32 {
	m := map[string]int32{}
	for _, cs := range pod.Status.ContainerStatuses {
		m[cs.Name] = cs.RestartCount
	}
	return m
}

// disruption is the reason a pod's DisruptionTarget condition gives
// (eviction, preemption, the taint manager), as "; reason: message".
func disruption(p *corev1.Pod) string {
	for _, cond := range p.Status.Conditions {
		if cond.Type == corev1.DisruptionTarget && cond.Status == corev1.ConditionTrue {
			return fmt.Sprintf(" (%s: %s)", cond.Reason, cond.Message)
		}
	}
	return ""
}

// nodeFault says why node cannot run pods now ("" = it can): gone, or
// its Ready condition not true.
func (c *Cluster) nodeFault(ctx context.Context, node string) string {
	var n *corev1.Node
	_, err := c.callAPI(ctx, "get node "+node, func(ctx context.Context) (err error) {
		n, err = c.cfg.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		return err
	})
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Sprintf("node %s is gone", node)
	case err != nil:
		return fmt.Sprintf("node %s: %v", node, err)
	}
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			if cond.Status == corev1.ConditionTrue {
				return ""
			}
			return fmt.Sprintf("node %s is NotReady (%s: %s)", node, cond.Reason, cond.Message)
		}
	}
	return fmt.Sprintf("node %s reports no Ready condition", node)
}

// readyAgain waits up to NodeSettle for p's pod to be Ready again by
// itself on a Ready node: after its node was NotReady for a moment (its
// kubelet could not reach the API server), the pod still runs and its
// kubelet marks it Ready again. A pod lost any other way is not waited for.
func (c *Cluster) readyAgain(ctx context.Context, p podSpec, why string) (time.Duration, bool) {
	start := time.Now()
	if !onlyNotReady(p, why) {
		return 0, false
	}
	deadline := start.Add(max(c.cfg.NodeSettle, 0))
	for {
		why, err := c.podLost(ctx, p)
		if err != nil || why == "" || !onlyNotReady(p, why) {
			return time.Since(start), err == nil && why == ""
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return time.Since(start), false
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// onlyNotReady reports whether why is p's pod not Ready, nothing worse.
func onlyNotReady(p podSpec, why string) bool {
	return strings.HasPrefix(why, fmt.Sprintf("pod %s is not Ready", p.name))
}

// waitNode waits up to NodeSettle for node to be Ready; it returns why
// not when it is not.
func (c *Cluster) waitNode(ctx context.Context, node string) string {
	deadline := time.Now().Add(max(c.cfg.NodeSettle, 0))
	for {
		why := c.nodeFault(ctx, node)
		if why == "" || time.Now().After(deadline) || ctx.Err() != nil {
			return why
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// recreate replaces p's pod by a new one on the same node and waits for
// it (and for the Services in front of it to answer again); it says what
// it did.
func (c *Cluster) recreate(ctx context.Context, p podSpec, why string) (string, error) {
	if nf := c.waitNode(ctx, p.node); nf != "" {
		if !strings.Contains(why, nf) {
			why += "; " + nf
		}
		return "", &cluster.LostError{Endpoint: p.endpointName(), Node: p.node, Why: why}
	}
	start := time.Now()
	c.deleting(p.name) // the watch is not to tell our own deletion as a loss
	api := c.cfg.Client.CoreV1().Pods(c.ns)
	zero := int64(0)
	if _, err := c.callAPI(ctx, "delete pod "+p.name, func(ctx context.Context) error {
		err := api.Delete(ctx, p.name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}); err != nil {
		return "", fmt.Errorf("delete lost pod %s: %w", p.name, explain(err))
	}
	if err := c.waitPodGone(ctx, p.name); err != nil {
		return "", err
	}
	if _, err := c.callAPI(ctx, "create pod "+p.name, func(ctx context.Context) error {
		_, err := api.Create(ctx, podObject(c.cfg, p), metav1.CreateOptions{})
		return err
	}); err != nil {
		return "", fmt.Errorf("recreate pod %s on %s: %w", p.name, p.node, explain(err))
	}
	pods, err := c.waitReady(ctx, []string{p.name}, c.cfg.ReadyTimeout)
	if err != nil {
		return "", fmt.Errorf("recreate pod %s on %s: %w", p.name, p.node, err)
	}
	pod := pods[p.name]
	addrs := podAddrs(pod)
	if len(addrs) == 0 {
		return "", fmt.Errorf("recreated pod %s is Ready without an IP", p.name)
	}
	c.mu.Lock()
	c.uids[p.name], c.restarts[p.name] = pod.UID, restartsOf(pod)
	delete(c.netinfo, p.name)
	for i := range c.eps {
		if c.eps[i].Name == p.endpointName() {
			c.eps[i].Addrs = addrs
		}
	}
	exposed := c.exposed[p.name]
	c.mu.Unlock()
	for _, svc := range []string{p.name, p.name + "-np"} {
		if len(exposed) == 0 {
			break
		}
		if err := c.waitEndpointSlice(ctx, svc, p.name); err != nil {
			return "", err
		}
	}
	if err := c.probeTargets(ctx, exposed); err != nil {
		return "", err
	}
	var ips []string
	for _, a := range addrs {
		ips = append(ips, a.String())
	}
	return fmt.Sprintf("recreated on %s, Ready after %v, address %s", p.node, time.Since(start).Round(100*time.Millisecond), strings.Join(ips, ", ")), nil
}

// waitPodGone waits until the pod of that name is gone from the API (a
// new pod cannot take its name before).
func (c *Cluster) waitPodGone(ctx context.Context, name string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := c.callAPI(ctx, "get pod "+name, func(ctx context.Context) error {
			_, err := c.cfg.Client.CoreV1().Pods(c.ns).Get(ctx, name, metav1.GetOptions{})
			return err
		})
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return err
		case time.Now().After(deadline):
			return fmt.Errorf("lost pod %s is still there 1m after its deletion (is its node's kubelet running?)", name)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// current is to with the backend's address as it is now: a recreated pod
// has a new IP, which a direct target must follow (Services keep theirs).
func (c *Cluster) current(to cluster.Target) cluster.Target {
	if to.Kind != cluster.DirectTarget {
		return to
	}
	e, ok := c.endpoint(to.Backend.Name)
	if !ok {
		return to
	}
	for _, a := range e.Addrs {
		if a.Is4() == to.Addr.Addr().Is4() {
			to.Addr = netip.AddrPortFrom(a, to.Addr.Port())
			to.Backend = e
			return to
		}
	}
	return to
}

// noteExposed remembers the Service targets in front of pod, for recreate
// to wait for after the pod comes back.
func (c *Cluster) noteExposed(pod string, ts []cluster.Target) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.exposed[pod] = append(c.exposed[pod], ts...)
}
