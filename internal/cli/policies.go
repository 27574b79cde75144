package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/cluster/kube"
)

// policyCounts are --policies' values, each checked; none without the flag.
func (k *kubeOptions) policyCounts() ([]int, error) {
	counts, err := k.policies.ints("--policies")
	if err != nil {
		return nil, err
	}
	for _, n := range counts {
		if n < 0 || n > kube.MaxPolicies {
			return nil, fmt.Errorf("--policies %d: use 0..%d NetworkPolicies", n, kube.MaxPolicies)
		}
	}
	return counts, nil
}

// policyLabels is vs once per NetworkPolicy count, labelled policies=N
// (vs itself without counts): what a dry run lists.
func policyLabels(vs []bench.Variant, counts []int) []bench.Variant {
	if len(counts) == 0 {
		return vs
	}
	var out []bench.Variant
	for _, v := range vs {
		for _, n := range counts {
			nv := v
			nv.Label = joinPolicyLabel(v.Label, n)
			out = append(out, nv)
		}
	}
	return out
}

func joinPolicyLabel(label string, n int) string {
	knob := "policies=" + strconv.Itoa(n)
	if label == "" {
		return knob
	}
	return label + "," + knob
}

// policyVariants turns the run's open kube variant into one variant per
// NetworkPolicy count, each creating its policies when its tests start
// and deleting them after, once the cluster has shown that it enforces
// NetworkPolicy; without counts it is v. The caller calls release, which
// removes the run's namespace.
func policyVariants(ctx context.Context, s Streams, quiet bool, v bench.Variant, counts []int) (vs []bench.Variant, release func(), err error) {
	if len(counts) == 0 {
		return []bench.Variant{v}, func() {}, nil
	}
	c, err := v.Open(ctx) // now ours to close, not the runner's
	if err != nil {
		return nil, func() {}, err
	}
	release = func() { closeRunCluster(ctx, s, c) }
	kc, ok := c.(*kube.Cluster)
	if !ok {
		release()
		return nil, func() {}, fmt.Errorf("--policies needs the kube backend's cluster, not %T", c)
	}
	if !quiet {
		fmt.Fprintln(s.Err, "kube: checking that the cluster enforces NetworkPolicy (a deny policy must block a probe)")
	}
	if err := kc.ProveEnforcement(ctx); err != nil {
		release()
		if errors.Is(err, kube.ErrPoliciesNotEnforced) {
			err = fmt.Errorf("%w; --policies needs an enforcer such as Calico, Cilium or kube-router", err)
		}
		return nil, func() {}, err
	}
	for _, n := range counts {
		vs = append(vs, bench.Variant{Label: joinPolicyLabel(v.Label, n), Open: func(ctx context.Context) (cluster.Cluster, error) {
			return kc.WithPolicies(ctx, n)
		}})
	}
	return vs, release, nil
}
