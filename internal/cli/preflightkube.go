package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/cluster/kube"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// preflightTimeout bounds each request of the preflight unless
// --request-timeout says otherwise: an API server that does not answer in
// it is not one a run can use.
const preflightTimeout = 15 * time.Second

// errNoKubeconfig is kubectl's complaint, with where a kubeconfig is looked for.
var errNoKubeconfig = errors.New("no kubeconfig: set KUBECONFIG, ~/.kube/config or --kubeconfig (or --server and credentials)")

// noKubeconfig reports whether nothing says which cluster to use: no
// kubeconfig with a cluster, no --server, not inside a pod. client-go
// would then try http://localhost:8080, which is nobody's cluster.
func (k *kubeOptions) noKubeconfig() bool {
	if k.config.APIServer != nil && *k.config.APIServer != "" || os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		return false
	}
	raw, err := k.config.ToRawKubeConfigLoader().RawConfig()
	return err == nil && len(raw.Clusters) == 0
}

// connect is client after the preflight: the cluster is named, answers,
// accepts the credentials and lets them list nodes.
func (k *kubeOptions) connect(ctx context.Context) (*rest.Config, kubernetes.Interface, error) {
	if k.noKubeconfig() {
		return nil, nil, errNoKubeconfig
	}
	rc, cs, err := k.client()
	if err != nil {
		return nil, nil, err
	}
	pc := rest.CopyConfig(rc)
	if pc.Timeout == 0 {
		pc.Timeout = preflightTimeout
	}
	pcs, err := kubernetes.NewForConfig(pc)
	if err != nil {
		return nil, nil, fmt.Errorf("kubeconfig: %w", err)
	}
	if err := kube.Preflight(ctx, pcs, rc.Host); err != nil {
		return nil, nil, err
	}
	return rc, cs, nil
}

// checkImage refuses an --image that cannot be one, before anything
// connects (a dry run checks it too).
func (k *kubeOptions) checkImage() error {
	if k.image == "" {
		return errors.New("no image: --image is empty: name an image with cnibench the nodes can pull (cnibench image push REGISTRY/cnibench:TAG; docs/kube.md)")
	}
	return nil
}

// openFirst opens the one kube variant's cluster (namespace, pods Ready)
// before the run starts, so a cluster the run cannot use fails the command
// once instead of failing every test. The variant returned hands over the
// open cluster; release closes it if the run never took it.
func openFirst(ctx context.Context, s Streams, quiet bool, v bench.Variant) (bench.Variant, func(), error) {
	if !quiet {
		fmt.Fprintln(s.Err, "kube: checking the cluster and starting the endpoint pods")
	}
	c, err := v.Open(ctx)
	var ie *kube.ImageError
	if errors.As(err, &ie) {
		err = reworded{msg: err.Error() + "\n  give --image an image with cnibench the nodes can pull: cnibench image push REGISTRY/cnibench:TAG, " +
			"or cnibench image build -o cnibench.tar and load it on the nodes (docs/kube.md)", err: err}
	}
	if err != nil {
		return v, func() {}, err
	}
	var once sync.Once // the runner's Open or release, whichever comes first
	v.Open = func(context.Context) (cluster.Cluster, error) {
		once.Do(func() {})
		return c, nil
	}
	release := func() {
		once.Do(func() { closeRunCluster(ctx, s, c) })
	}
	return v, release, nil
}

// closeRunCluster removes the run's namespace (or objects), even when the
// run was interrupted, warning when it cannot.
func closeRunCluster(ctx context.Context, s Streams, c cluster.Cluster) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := c.Close(cctx); err != nil {
		fmt.Fprintf(s.Err, "warning: removing the run's namespace: %v\n", err)
	}
}
