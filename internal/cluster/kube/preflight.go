package kube

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Preflight checks, before a run creates anything, that the API server at
// host answers, accepts the credentials and lets them list nodes, so that
// a cluster that cannot be used fails once, in kubectl's words, rather
// than in every test. cs should time out (rest.Config.Timeout): the
// version request takes no context.
func Preflight(ctx context.Context, cs kubernetes.Interface, host string) error {
	if _, err := cs.Discovery().ServerVersion(); err != nil {
		return apiServerErr(host, err)
	}
	if _, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return apiServerErr(host, err)
	}
	return nil
}

// UnreachableError is an API server that did not answer.
type UnreachableError struct {
	Host string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the API server at %s: %v", e.Host, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// apiServerErr says what went wrong talking to the API server at host.
func apiServerErr(host string, err error) error {
	switch {
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("you must be logged in to the server at %s (Unauthorized): it refused the kubeconfig's credentials; renew them (kubectl get nodes shows the same)", host)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("the API server at %s: %w", host, explain(err))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the dial or TLS error, without the request's URL
	}
	return &UnreachableError{Host: host, Err: err}
}

// ImageError is a pod whose image cannot be pulled or used.
type ImageError struct {
	Pod, Node, Image string
	Reason, Message  string
}

func (e *ImageError) Error() string {
	return fmt.Sprintf("no image: pod %s on %s cannot use %s: %s: %s", e.Pod, e.Node, e.Image, e.Reason, e.Message)
}

// imageErr is the ImageError of pod p, or nil: a container waits on an
// image it cannot pull (after a failed pull kubelet backs off, so
// ImagePullBackOff means at least one pull failed), or may not pull.
func imageErr(p *corev1.Pod) *ImageError {
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil {
			switch w.Reason {
			case "ErrImageNeverPull", "InvalidImageName", "ImagePullBackOff":
				img := cs.Image
				for _, c := range p.Spec.Containers {
					if c.Name == cs.Name && img == "" {
						img = c.Image
					}
				}
				return &ImageError{Pod: p.Name, Node: p.Spec.NodeName, Image: img, Reason: w.Reason, Message: w.Message}
			}
		}
	}
	return nil
}
