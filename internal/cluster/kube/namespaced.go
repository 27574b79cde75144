package kube

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// A run in a namespace it was given (Config.Namespace, the CLI's -n) is for
// users who may create pods there but not namespaces: it creates no
// namespace, names its objects cnibench-<run id>-..., and deletes exactly
// the objects that carry its run label.

// SettingNamespace is Config.Namespace.
const SettingNamespace Setting = "namespace"

// useNamespace checks that the given namespace exists. A Role in it may
// not grant reading the namespace itself: then creating the first pod says
// whether it exists, in the API server's words.
func (c *Cluster) useNamespace(ctx context.Context) error {
	_, err := c.cfg.Client.CoreV1().Namespaces().Get(ctx, c.ns, metav1.GetOptions{})
	switch {
	case err == nil || apierrors.IsForbidden(err):
		return nil
	case apierrors.IsNotFound(err):
		return &SettingError{Setting: SettingNamespace,
			Err: fmt.Errorf("namespaces %q not found: name an existing namespace, or leave it out and the run creates one of its own", c.ns)}
	}
	return fmt.Errorf("namespace %s: %w", c.ns, explain(err))
}

// explainPodIn explains a pod refused in a given namespace: cnibench
// cannot label it for hostNetwork pods, its owner must.
func explainPodIn(err error, ns string) error {
	if strings.Contains(err.Error(), "PodSecurity") || strings.Contains(err.Error(), "hostNetwork") {
		return fmt.Errorf("%w (the node endpoints are hostNetwork pods, which Pod Security admission allows only at level privileged: "+
			"ask the owner of namespace %s to label it %s=privileged, or run without a namespace so the run creates its own)", err, ns, LabelPodSecurity)
	}
	return explain(err)
}

// runSelector selects the objects of run id.
func runSelector(id string) string {
	return LabelManagedBy + "=" + ManagedBy + "," + LabelRun + "=" + id
}

// deleteRunObjects deletes the NetworkPolicies, Services and pods of run id from namespace
// ns, found by their labels (their EndpointSlices go with the Services),
// and waits until the pods are gone. The namespace and everything else in
// it stay.
func deleteRunObjects(ctx context.Context, cs kubernetes.Interface, ns, id string) error {
	sel := metav1.ListOptions{LabelSelector: runSelector(id)}
	var errs []error
	// Without the right to list NetworkPolicies (deploy/rbac-namespaced.yaml
	// grants it only for --policies) the run created none.
	if err := deletePolicies(ctx, cs, ns, id, ""); err != nil && !apierrors.IsForbidden(err) {
		errs = append(errs, err)
	}
	svcs, err := cs.CoreV1().Services(ns).List(ctx, sel)
	if err != nil {
		return fmt.Errorf("list the run's Services in %s: %w", ns, explain(err))
	}
	for _, s := range svcs.Items {
		if err := cs.CoreV1().Services(ns).Delete(ctx, s.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete Service %s/%s: %w", ns, s.Name, explain(err)))
		}
	}
	pods, err := cs.CoreV1().Pods(ns).List(ctx, sel)
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("list the run's pods in %s: %w", ns, explain(err)))...)
	}
	for _, p := range pods.Items {
		if err := cs.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete pod %s/%s: %w", ns, p.Name, explain(err)))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for {
		left, err := cs.CoreV1().Pods(ns).List(ctx, sel)
		switch {
		case err != nil:
			return fmt.Errorf("wait for the run's pods in %s to go: %w", ns, explain(err))
		case len(left.Items) == 0:
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d pods of run %s in namespace %s are still terminating: %w (they go by themselves; list them with: kubectl get pods -n %s -l %s)",
				len(left.Items), id, ns, ctx.Err(), ns, runSelector(id))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// CleanupNamespace finds the objects that cnibench runs left in namespace
// ns (pods and Services labelled app.kubernetes.io/managed-by=cnibench
// with a run label), one Leftover per run, and unless dryRun deletes those
// of runs older than olderThan (their oldest object's age). Objects
// without both labels, and the namespace, are never touched.
func CleanupNamespace(ctx context.Context, cs kubernetes.Interface, ns string, olderThan time.Duration, dryRun bool, now time.Time, only ...string) ([]Leftover, error) {
	sel := metav1.ListOptions{LabelSelector: LabelManagedBy + "=" + ManagedBy + "," + LabelRun}
	pods, err := cs.CoreV1().Pods(ns).List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("list pods in %s: %w", ns, explain(err))
	}
	svcs, err := cs.CoreV1().Services(ns).List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("list Services in %s: %w", ns, explain(err))
	}
	runs := map[string]*Leftover{}
	add := func(m metav1.ObjectMeta) {
		id := m.Labels[LabelRun]
		l := runs[id]
		if l == nil {
			l = &Leftover{Namespace: ns, Run: id}
			runs[id] = l
		}
		l.Objects++
		l.Age = max(l.Age, now.Sub(m.CreationTimestamp.Time))
	}
	for _, p := range pods.Items {
		add(p.ObjectMeta)
	}
	for _, s := range svcs.Items {
		add(s.ObjectMeta)
	}
	var missing, known []string
	for _, r := range only {
		if runs[r] == nil {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		for id := range runs {
			known = append(known, id)
		}
		sort.Strings(known)
		if len(known) == 0 {
			return nil, fmt.Errorf("run %s not found: no run of cnibench's left objects in namespace %s", strings.Join(missing, ", "), ns)
		}
		return nil, fmt.Errorf("run %s not found: the runs with objects left in namespace %s are %s", strings.Join(missing, ", "), ns, strings.Join(known, ", "))
	}
	var out []Leftover
	var errs []error
	for _, l := range runs {
		if l.Age < olderThan || len(only) > 0 && !slices.Contains(only, l.Run) {
			continue
		}
		out = append(out, *l)
		if !dryRun {
			if err := deleteRunObjects(ctx, cs, ns, l.Run); err != nil {
				errs = append(errs, err)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Run < out[j].Run })
	return out, errors.Join(errs...)
}
