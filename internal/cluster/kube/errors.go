package kube

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// explain adds to an API error what the user can do about it: a Forbidden
// error names the verb, resource and namespace refused (the API server's
// message does) and where the needed permissions are listed.
func explain(err error) error {
	if apierrors.IsForbidden(err) && !strings.Contains(err.Error(), "PodSecurity") {
		return fmt.Errorf("%w (RBAC: cnibench needs the permissions of deploy/rbac.yaml, or of deploy/rbac-namespaced.yaml in a namespace it was given; see docs/kube.md)", err)
	}
	return err
}

// explainNamespace explains a refused namespace: cnibench labels it
// pod-security.kubernetes.io/enforce=privileged for its hostNetwork pods.
func explainNamespace(err error) error {
	if apierrors.IsForbidden(err) || apierrors.IsInvalid(err) {
		return fmt.Errorf("%w (cnibench creates its namespace with the label %s=privileged, which its hostNetwork pods need; "+
			"the user needs to create namespaces (deploy/rbac.yaml), and an admission policy must allow that label)", err, LabelPodSecurity)
	}
	return err
}

// explainPod explains a pod refused by admission: Pod Security's
// hostNetwork check when the namespace's label was overridden.
func explainPod(err error, ns string) error {
	if strings.Contains(err.Error(), "PodSecurity") || strings.Contains(err.Error(), "hostNetwork") {
		return fmt.Errorf("%w (the node endpoints are hostNetwork pods: Pod Security admission must enforce level privileged in namespace %s; "+
			"cnibench sets %s=privileged on it, so a cluster-wide admission configuration or policy overrides that label: exempt namespaces %s* or allow hostNetwork there)",
			err, ns, LabelPodSecurity, NamespacePrefix)
	}
	return explain(err)
}

// DeleteNamespace deletes a namespace and waits until it is gone; one
// already gone is fine.
func DeleteNamespace(ctx context.Context, cs kubernetes.Interface, ns string) error {
	fg := metav1.DeletePropagationForeground
	err := cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{PropagationPolicy: &fg})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete namespace %s: %w", ns, explain(err))
	}
	for {
		_, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil && ctx.Err() == nil:
			return fmt.Errorf("wait for namespace %s to go: %w", ns, explain(err))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("namespace %s is still terminating: %w (it goes by itself; list leftovers with: kubectl get ns -l app.kubernetes.io/managed-by=cnibench)", ns, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}
