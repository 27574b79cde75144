package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/agent"
	"github.com/cnibench/cnibench/internal/cluster"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	utilexec "k8s.io/client-go/util/exec"
)

// A NetworkPolicy sweep measures the run's paths with N real
// NetworkPolicy objects selecting its pods, each letting every client in,
// so the datapath walks them and traffic still passes. Before the sweep
// ProveEnforcement checks that the CNI enforces policies at all: numbers
// from a cluster that ignores them would measure nothing.

// LabelPolicy marks the run's NetworkPolicies: PolicyAllow for a sweep's,
// PolicyDeny for the enforcement probe's.
const (
	LabelPolicy = "cnibench.io/policy"
	PolicyAllow = "allow"
	PolicyDeny  = "deny"
	// MaxPolicies bounds one sweep value: each is an API object.
	MaxPolicies = 10000
)

// Bounds of the enforcement probe: a deny policy must block a new
// connection within policyBlockWait, each attempt given policyProbeTry;
// the path must answer within policyOpenWait with no deny policy.
var (
	policyBlockWait = 8 * time.Second
	policyProbeTry  = time.Second
	policyOpenWait  = 30 * time.Second
)

// ErrPoliciesNotEnforced says the cluster lets traffic through a deny policy.
var ErrPoliciesNotEnforced = errors.New("the cluster's CNI does not enforce NetworkPolicy (flannel alone does not): a deny policy did not block a probe")

// policyObject is NetworkPolicy i of the run: it selects the run's pods
// (not the hostNetwork ones, which no policy applies to) and lets in the
// run's pods and every address, so node clients, Services' and NodePorts'
// SNAT and the kubelet's probes pass too.
func policyObject(cfg Config, i int) *networkingv1.NetworkPolicy {
	l := labels(cfg.ID)
	l[LabelPolicy] = PolicyAllow
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%sallow-%d", cfg.objectPrefix(), i), Namespace: cfg.namespace(), Labels: l},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{LabelRun: cfg.ID, labelKind: kindPod}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{
				{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelRun: cfg.ID}}},
				{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}},
				{IPBlock: &networkingv1.IPBlock{CIDR: "::/0"}},
			}}},
		},
	}
}

// denyObject selects one pod and lets nothing in.
func denyObject(cfg Config, pod string) *networkingv1.NetworkPolicy {
	l := labels(cfg.ID)
	l[LabelPolicy] = PolicyDeny
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: cfg.objectPrefix() + "deny-probe", Namespace: cfg.namespace(), Labels: l},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{LabelEndpoint: pod}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		},
	}
}

// policyClient is a client allowed many requests a second: a sweep value
// of 1000 policies would take minutes at client-go's default 5 per second.
func (c *Cluster) policyClient() kubernetes.Interface {
	if c.cfg.REST == nil {
		return c.cfg.Client
	}
	rc := rest.CopyConfig(c.cfg.REST)
	rc.QPS, rc.Burst = 200, 400
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return c.cfg.Client
	}
	return cs
}

// WithPolicies creates n allow policies in the run's namespace and returns
// the cluster as a variant whose Close deletes them (and leaves the run's
// pods): one value of a --policies sweep. It returns once a probe passes
// from each node's pod to the server pod with the policies in place.
func (c *Cluster) WithPolicies(ctx context.Context, n int) (cluster.Cluster, error) {
	if n < 0 || n > MaxPolicies {
		return nil, fmt.Errorf("policies %d: use 0..%d", n, MaxPolicies)
	}
	v := &policyVariant{Cluster: c, client: c.policyClient()}
	start := time.Now()
	for i := 0; i < n; i++ {
		p := policyObject(c.cfg, i)
		if _, err := v.client.NetworkingV1().NetworkPolicies(c.ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			err = fmt.Errorf("create NetworkPolicy %s (%d of %d): %w", p.Name, i+1, n, explain(err))
			return nil, errors.Join(err, v.Close(context.WithoutCancel(ctx)))
		}
	}
	if n > 0 {
		c.cfg.Logger.Info("network policies created", "count", n, "took", time.Since(start).Round(time.Millisecond))
	}
	if _, _, err := c.probePolicyPath(ctx, policyOpenWait); err != nil {
		err = fmt.Errorf("with %d NetworkPolicies that allow every client, the server pod does not answer: %w", n, err)
		return nil, errors.Join(err, v.Close(context.WithoutCancel(ctx)))
	}
	return v, nil
}

// policyVariant is the run's cluster with a sweep value's policies.
type policyVariant struct {
	*Cluster
	client kubernetes.Interface
}

// Close deletes the variant's policies; the run's pods stay for the next
// value (the run's own Close removes them, and any policy left).
func (v *policyVariant) Close(ctx context.Context) error {
	if ctx.Err() != nil { // interrupted: still remove them
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
	}
	return deletePolicies(ctx, v.client, v.ns, v.cfg.ID, PolicyAllow)
}

// deletePolicies deletes the run's policies of one kind ("" = all) from
// namespace ns.
func deletePolicies(ctx context.Context, cs kubernetes.Interface, ns, id, kind string) error {
	sel := runSelector(id)
	if kind != "" {
		sel += "," + LabelPolicy + "=" + kind
	}
	list, err := cs.NetworkingV1().NetworkPolicies(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return fmt.Errorf("list the run's NetworkPolicies in %s: %w", ns, explain(err))
	}
	var errs []error
	for _, p := range list.Items {
		if err := cs.NetworkingV1().NetworkPolicies(ns).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete NetworkPolicy %s/%s: %w", ns, p.Name, explain(err)))
		}
	}
	return errors.Join(errs...)
}

// ProveEnforcement checks that the CNI enforces NetworkPolicy: a deny
// policy on the server pod of the second node must block a new connection
// from the first node's pod within a few seconds. It removes the policy
// and waits until the path answers again. ErrPoliciesNotEnforced when
// traffic still passes.
func (c *Cluster) ProveEnforcement(ctx context.Context) (err error) {
	from, to, err := c.probePolicyPath(ctx, policyOpenWait)
	if err != nil {
		return fmt.Errorf("before the NetworkPolicy check: %w", err)
	}
	deny := denyObject(c.cfg, c.byName[to.Name].name)
	if _, err := c.cfg.Client.NetworkingV1().NetworkPolicies(c.ns).Create(ctx, deny, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create the deny NetworkPolicy %s: %w", deny.Name, explain(err))
	}
	blocked, perr := c.probeBlocked(ctx, from, to)
	derr := deletePolicies(context.WithoutCancel(ctx), c.cfg.Client, c.ns, c.cfg.ID, PolicyDeny)
	switch {
	case perr != nil || derr != nil:
		return errors.Join(perr, derr)
	case !blocked:
		return fmt.Errorf("%w from pod %s to %s within %v", ErrPoliciesNotEnforced, from.Name, to.Name, policyBlockWait)
	}
	c.cfg.Logger.Info("network policy enforced", "blocked", from.Name+" → "+to.Name)
	if _, _, err := c.probePolicyPath(ctx, policyOpenWait); err != nil {
		return fmt.Errorf("after the deny NetworkPolicy was deleted: %w", err)
	}
	return nil
}

// probePolicyPath waits until the server pod of the second node answers
// a probe from the first node's pod, and returns the two.
func (c *Cluster) probePolicyPath(ctx context.Context, wait time.Duration) (from, to cluster.Endpoint, err error) {
	var ok bool
	if from, ok = c.firstPod(c.choice.Nodes[0]); !ok {
		return from, to, fmt.Errorf("no pod on %s", c.choice.Nodes[0])
	}
	if to, ok = c.firstPod(c.choice.Nodes[1]); !ok {
		return from, to, fmt.Errorf("no pod on %s", c.choice.Nodes[1])
	}
	passed, stderr, err := c.probe(ctx, from, to, wait)
	if err == nil && !passed {
		err = fmt.Errorf("pod %s does not reach pod %s within %v: %s", from.Name, to.Name, wait, agent.Truncate(stderr, 300))
	}
	return from, to, err
}

// probeBlocked probes until one attempt fails (true) or policyBlockWait
// passes with every attempt answered (false): enforcers program a new
// policy asynchronously.
func (c *Cluster) probeBlocked(ctx context.Context, from, to cluster.Endpoint) (bool, error) {
	deadline := time.Now().Add(policyBlockWait)
	for time.Now().Before(deadline) {
		passed, _, err := c.probe(ctx, from, to, policyProbeTry)
		if err != nil || !passed {
			return !passed, err
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return false, nil
}

// probe runs `cnibench probe` in from's pod against to's server: passed
// when it connected within wait; an error only when the exec itself broke.
func (c *Cluster) probe(ctx context.Context, from, to cluster.Endpoint, wait time.Duration) (passed bool, stderr string, err error) {
	addr := netip.AddrPortFrom(to.Addrs[0], uint16(c.cfg.Port))
	var out, errb bytes.Buffer
	err = c.cfg.Exec.Exec(ctx, c.ns, c.byName[from.Name].name, containerName, agent.ProbeArgs(binaryPath, wait, []netip.AddrPort{addr}), &out, &errb)
	stderr = strings.TrimSpace(errb.String())
	var exit utilexec.ExitError
	switch {
	case err == nil:
		return true, stderr, nil
	case ctx.Err() != nil:
		return false, stderr, ctx.Err()
	case errors.As(err, &exit):
		return false, stderr, nil
	}
	return false, stderr, fmt.Errorf("probe from pod %s: %w: %s", from.Name, explain(err), agent.Truncate(stderr, 300))
}
