package kube

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
)

// podReady reports whether the pod's Ready condition is true.
func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// hopeless says why a pod will never become Ready by waiting ("" = it may).
func hopeless(p *corev1.Pod) string {
	if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
		return fmt.Sprintf("pod %s: %s", p.Status.Phase, p.Status.Message)
	}
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil {
			switch w.Reason {
			case "CreateContainerConfigError", "CreateContainerError":
				return fmt.Sprintf("container %s: %s: %s", cs.Name, w.Reason, w.Message)
			}
		}
		if t := cs.State.Terminated; t != nil {
			return fmt.Sprintf("container %s exited %d (%s): %s", cs.Name, t.ExitCode, t.Reason, t.Message)
		}
	}
	return ""
}

// cannotStart is why pod p, one of names, will never become Ready (nil =
// it may): an image it cannot use (ImageError), or hopeless's reason.
func (c *Cluster) cannotStart(ctx context.Context, p *corev1.Pod, names []string) error {
	if !slices.Contains(names, p.Name) {
		return nil
	}
	if e := imageErr(p); e != nil {
		return e
	}
	if why := hopeless(p); why != "" {
		return fmt.Errorf("pod %s on %s cannot start: %s%s", p.Name, p.Spec.NodeName, why, c.lastEvent(ctx, p.Name))
	}
	return nil
}

// waitReady waits with a watch until every named pod of the namespace is
// Ready, and returns them. It fails early for a pod that cannot become
// Ready, and after timeout with what each pending pod waits on.
func (c *Cluster) waitReady(ctx context.Context, names []string, timeout time.Duration) (map[string]*corev1.Pod, error) {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pods := map[string]*corev1.Pod{}
	pending := func() []string {
		var out []string
		for _, n := range names {
			if p := pods[n]; p == nil || !podReady(p) {
				out = append(out, n)
			}
		}
		return out
	}
	api := c.cfg.Client.CoreV1().Pods(c.ns)
	sel := metav1.ListOptions{LabelSelector: LabelRun + "=" + c.cfg.ID}
	for {
		list, err := api.List(wctx, sel)
		if err != nil {
			return nil, c.waitErr(ctx, wctx, pods, pending(), fmt.Errorf("list pods: %w", err))
		}
		for i := range list.Items {
			p := &list.Items[i]
			pods[p.Name] = p
			if err := c.cannotStart(ctx, p, names); err != nil {
				return nil, err
			}
		}
		if len(pending()) == 0 {
			return pods, nil
		}
		opts := sel
		opts.ResourceVersion = list.ResourceVersion
		w, err := api.Watch(wctx, opts)
		if err != nil {
			return nil, c.waitErr(ctx, wctx, pods, pending(), fmt.Errorf("watch pods: %w", err))
		}
		err = func() error {
			defer w.Stop()
			for {
				select {
				case <-wctx.Done():
					return wctx.Err()
				case ev, ok := <-w.ResultChan():
					if !ok {
						return nil // re-list and watch again
					}
					p, isPod := ev.Object.(*corev1.Pod)
					if !isPod {
						if ev.Type == watch.Error {
							return nil
						}
						continue
					}
					if ev.Type == watch.Deleted {
						return fmt.Errorf("pod %s was deleted", p.Name)
					}
					pods[p.Name] = p
					if err := c.cannotStart(ctx, p, names); err != nil {
						return err
					}
					if len(pending()) == 0 {
						return nil
					}
				}
			}
		}()
		if err != nil {
			return nil, c.waitErr(ctx, wctx, pods, pending(), err)
		}
		if len(pending()) == 0 {
			return pods, nil
		}
	}
}

// waitErr explains a failed wait: on timeout, what each pending pod is
// waiting on.
func (c *Cluster) waitErr(ctx, wctx context.Context, pods map[string]*corev1.Pod, pending []string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if wctx.Err() == nil || !errors.Is(err, context.DeadlineExceeded) && !errors.Is(wctx.Err(), context.DeadlineExceeded) {
		return err
	}
	var why []string
	for _, n := range pending {
		why = append(why, c.describe(ctx, n, pods[n]))
	}
	return fmt.Errorf("pods not Ready after %v:\n  %s", c.cfg.ReadyTimeout, strings.Join(why, "\n  "))
}

// describe says what a pod waits on: scheduling, image pull, sandbox and
// CNI, or its server, from its conditions, container states and events.
func (c *Cluster) describe(ctx context.Context, name string, p *corev1.Pod) string {
	if p == nil {
		return name + ": not created" + c.lastEvent(ctx, name)
	}
	var parts []string
	node := p.Spec.NodeName
	if node == "" {
		node = "no node yet"
	}
	parts = append(parts, fmt.Sprintf("%s (%s): %s", name, node, p.Status.Phase))
	for _, cond := range p.Status.Conditions {
		if cond.Status != corev1.ConditionTrue && cond.Reason != "" {
			parts = append(parts, fmt.Sprintf("%s=False (%s: %s)", cond.Type, cond.Reason, cond.Message))
		}
	}
	for _, cs := range p.Status.ContainerStatuses {
		switch {
		case cs.State.Waiting != nil:
			parts = append(parts, fmt.Sprintf("container waiting: %s %s", cs.State.Waiting.Reason, cs.State.Waiting.Message))
		case cs.State.Running != nil && (cs.Started == nil || !*cs.Started):
			parts = append(parts, "container running, server not yet listening (startup probe)")
		}
	}
	return strings.Join(parts, "; ") + c.lastEvent(ctx, name)
}

// lastEvent is the pod's latest warning event (or latest event), as
// "; last event: Reason: message", or "".
func (c *Cluster) lastEvent(ctx context.Context, pod string) string {
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	list, err := c.cfg.Client.CoreV1().Events(c.ns).List(ectx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("involvedObject.name", pod).String(),
	})
	if err != nil {
		return ""
	}
	var evs []corev1.Event
	for _, e := range list.Items {
		if e.InvolvedObject.Name == pod {
			evs = append(evs, e)
		}
	}
	if len(evs) == 0 {
		return ""
	}
	at := func(e corev1.Event) time.Time {
		switch {
		case !e.LastTimestamp.IsZero():
			return e.LastTimestamp.Time
		case !e.EventTime.IsZero():
			return e.EventTime.Time
		}
		return e.CreationTimestamp.Time
	}
	sort.SliceStable(evs, func(i, j int) bool { return at(evs[i]).Before(at(evs[j])) })
	last := evs[len(evs)-1]
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == corev1.EventTypeWarning {
			last = evs[i]
			break
		}
	}
	return fmt.Sprintf("; last event: %s: %s", last.Reason, strings.TrimSpace(last.Message))
}
