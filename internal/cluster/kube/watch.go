package kube

import (
	"context"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
)

var _ cluster.Watcher = (*Cluster)(nil)

// podWatch is an informer on the run's pods, from their start to Close:
// it tells a pod's loss (OnLoss) the moment the API server shows it, so a
// test against a pod being deleted need not run to its end to fail. The
// informer lists again whenever its watch breaks (the API server went
// away, the watch expired), and a pod deleted meanwhile is seen then.
type podWatch struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// toldLoss is the loss the watch last told of a pod (of one UID): a pod
// is told gone once, and not Ready again only after it was Ready.
type toldLoss struct {
	uid  types.UID
	why  string // "" when the run deletes the pod itself (recreate)
	gone bool
}

// nodeCheckTimeout bounds the node's GET that says why a pod is not
// Ready, so the watch does not stall on an API server that went away.
const nodeCheckTimeout = 5 * time.Second

// watchPods starts the run's pod watch; stop ends it.
func (c *Cluster) watchPods() *podWatch {
	api := c.cfg.Client.CoreV1().Pods(c.ns)
	sel := LabelRun + "=" + c.cfg.ID
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.LabelSelector = sel
			return api.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.LabelSelector = sel
			return api.Watch(ctx, o)
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	inf := cache.NewSharedIndexInformerWithOptions(lw, &corev1.Pod{}, cache.SharedIndexInformerOptions{})
	_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		c.cfg.Logger.Debug("the watch of the run's pods broke; listing them again", "err", err)
	})
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.watched(ctx, obj, false) },
		UpdateFunc: func(_, obj any) { c.watched(ctx, obj, false) },
		DeleteFunc: func(obj any) { c.watched(ctx, obj, true) },
	})
	w := &podWatch{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		inf.RunWithContext(ctx)
	}()
	return w
}

// stop ends the watch and waits until its goroutines have.
func (w *podWatch) stop() {
	if w == nil {
		return
	}
	w.cancel()
	<-w.done
}

// OnLoss sets the function told of each pod the watch sees lost from now
// on (nil: none). A call already under way may still reach the previous
// function.
func (c *Cluster) OnLoss(f func(cluster.Loss)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onLoss = f
}

// watched looks at one pod as the watch delivered it, and tells its loss
// when it is one of the run's, of the UID the run knows, lost in a way
// not told yet.
func (c *Cluster) watched(ctx context.Context, obj any, deleted bool) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok { // deleted while the watch was broken
		obj = d.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	p, ok := c.podSpec(pod.Name)
	if !ok {
		return
	}
	// One look at what the run knows of the pod: the run may recreate it
	// (a new UID) while this looks, and the fault must be judged against
	// the same pod that decides whether it is the run's.
	c.mu.Lock()
	told, uid, restarts := c.told[pod.Name], c.uids[pod.Name], c.restarts[pod.Name]
	mine := pod.UID == uid && !c.closed
	c.mu.Unlock()
	f := podFault{why: "pod " + pod.Name + " was deleted", gone: true}
	if !deleted {
		f = faultAgainst(pod, uid, restarts)
	}
	switch {
	case !mine: // a pod of its name the run is creating again, or the run ends
		return
	case f.why == "":
		if told.uid == pod.UID && !told.gone { // Ready again: a later loss is told again
			c.mu.Lock()
			delete(c.told, pod.Name)
			c.mu.Unlock()
		}
		return
	case told.uid == pod.UID && (told.gone || !f.gone):
		return // told already
	}
	if f.notReady {
		nctx, cancel := context.WithTimeout(ctx, nodeCheckTimeout)
		if why := c.nodeFault(nctx, p.node); why != "" {
			f.why += ": " + why
		}
		cancel()
	}
	c.mu.Lock()
	if c.closed || c.uids[pod.Name] != uid {
		c.mu.Unlock()
		return
	}
	c.told[pod.Name] = toldLoss{uid: pod.UID, why: f.why, gone: f.gone}
	onLoss := c.onLoss
	c.mu.Unlock()
	c.cfg.Logger.Warn("endpoint lost (seen by the watch)", "endpoint", p.endpointName(), "pod", p.name, "node", p.node, "why", f.why)
	if onLoss != nil {
		onLoss(cluster.Loss{Endpoint: p.endpointName(), Node: p.node, Why: f.why, Gone: f.gone})
	}
}

// seenGone is why the watch saw the pod of that name gone, when it did
// for the pod the run knows ("" = it did not): Recover need not ask.
func (c *Cluster) seenGone(name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.told[name]; t.gone && t.uid == c.uids[name] {
		return t.why
	}
	return ""
}

// deleting tells the watch that the run itself deletes the pod of that
// name (to create it again): that deletion is no loss to tell.
func (c *Cluster) deleting(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.told[name]; !t.gone || t.uid != c.uids[name] {
		c.told[name] = toldLoss{uid: c.uids[name], gone: true}
	}
}

// podSpec is the run's pod of that name.
func (c *Cluster) podSpec(name string) (podSpec, bool) {
	for _, p := range c.pods {
		if p.name == name {
			return p, true
		}
	}
	return podSpec{}, false
}
