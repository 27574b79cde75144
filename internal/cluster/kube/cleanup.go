package kube

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Leftover is a namespace of cnibench's found by Cleanup.
type Leftover struct {
	Namespace string
	Run       string
	Age       time.Duration
	// Objects is how many pods and Services of the run CleanupNamespace
	// found in a namespace the run was given; 0 = the namespace is the
	// run's own (Cleanup).
	Objects int
}

// Cleanup finds the namespaces cnibench created (label
// app.kubernetes.io/managed-by=cnibench and a cnibench- name) older than
// olderThan, of the runs named (every run when none is), and unless dryRun
// deletes each and waits until it is gone. It returns what it found
// (removed, or would remove); a run named that has no namespace is an
// error naming the runs that have one, and nothing is deleted.
func Cleanup(ctx context.Context, cs kubernetes.Interface, olderThan time.Duration, dryRun bool, now time.Time, runs ...string) ([]Leftover, error) {
	list, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: LabelManagedBy + "=" + ManagedBy})
	if err != nil {
		return nil, fmt.Errorf("list namespaces: %w", explain(err))
	}
	ours := slices.DeleteFunc(list.Items, func(ns corev1.Namespace) bool {
		return !strings.HasPrefix(ns.Name, NamespacePrefix) || ns.Name == NamespacePrefix || ns.Labels[LabelRun] == ""
	})
	if err := unknownRuns(ours, runs); err != nil {
		return nil, err
	}
	var out []Leftover
	var errs []error
	for _, ns := range ours {
		age := now.Sub(ns.CreationTimestamp.Time)
		if age < olderThan || len(runs) > 0 && !slices.Contains(runs, ns.Labels[LabelRun]) {
			continue
		}
		out = append(out, Leftover{Namespace: ns.Name, Run: ns.Labels[LabelRun], Age: age})
		if dryRun {
			continue
		}
		if err := DeleteNamespace(ctx, cs, ns.Name); err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// unknownRuns fails for each run named that has no namespace in ours.
func unknownRuns(ours []corev1.Namespace, runs []string) error {
	var known, missing []string
	for _, ns := range ours {
		known = append(known, ns.Labels[LabelRun])
	}
	for _, r := range runs {
		if !slices.Contains(known, r) {
			missing = append(missing, r)
		}
	}
	switch {
	case len(missing) == 0:
		return nil
	case len(known) == 0:
		return fmt.Errorf("run %s not found: no namespace of cnibench's is left on the cluster", strings.Join(missing, ", "))
	}
	slices.Sort(known)
	return fmt.Errorf("run %s not found: the runs with a namespace left are %s", strings.Join(missing, ", "), strings.Join(known, ", "))
}
