package kube

import (
	"context"
	"errors"
	"fmt"
	"time"

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
// olderThan, and unless dryRun deletes each and waits until it is gone. It
// returns what it found (removed, or would remove).
func Cleanup(ctx context.Context, cs kubernetes.Interface, olderThan time.Duration, dryRun bool, now time.Time) ([]Leftover, error) {
	list, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: LabelManagedBy + "=" + ManagedBy})
	if err != nil {
		return nil, fmt.Errorf("list namespaces: %w", explain(err))
	}
	var out []Leftover
	var errs []error
	for _, ns := range list.Items {
		if len(ns.Name) <= len(NamespacePrefix) || ns.Name[:len(NamespacePrefix)] != NamespacePrefix || ns.Labels[LabelRun] == "" {
			continue
		}
		age := now.Sub(ns.CreationTimestamp.Time)
		if age < olderThan {
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
