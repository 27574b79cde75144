package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/cluster/kube"
	"github.com/cnibench/cnibench/internal/image"
	"github.com/cnibench/cnibench/internal/report"
	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
)

// kubeOptions are run's flags for --cluster kube: kubectl's connection
// flags, and the images.
type kubeOptions struct {
	config       *genericclioptions.ConfigFlags
	image        string
	serverImage  string
	pullPolicy   string
	readyTimeout time.Duration
	tolerateCP   bool
	tolerations  []string
	tols         []corev1.Toleration // parsed by parseTolerations
	namespace    string              // -n: an existing namespace to run in
	external     string              // --external-server HOST[:PORT]
	policy       string              // --external-traffic-policy
	policies     *sweepValue         // --policies: NetworkPolicy counts
}

// addKubeFlags adds kubectl's connection flags (--kubeconfig, --context,
// --as, ...) but not --cluster, which is run's own, nor kubectl's
// --namespace: a run creates its own namespace cnibench-<run id> unless
// -n names one (addNamespaceFlag), and the kubeconfig's default namespace
// is not that.
func addKubeFlags(f *pflag.FlagSet) *kubeOptions {
	k := addKubeConnFlags(f)
	k.policies = newSweepValue(plainInt)
	forCluster(f, "kube", func(f *pflag.FlagSet) {
		f.StringVar(&k.image, "image", image.DefaultRef(), "kube: image with cnibench for the server and client pods (cnibench image build or push makes it)")
		f.StringVar(&k.serverImage, "server-image", "", "kube: serve with a stock iperf3 image instead of cnibench server, e.g. networkstatic/iperf3; cnibench's client still runs from --image")
		f.StringVar(&k.pullPolicy, "image-pull-policy", string(corev1.PullIfNotPresent), "kube: the pods' image pull policy: Always, IfNotPresent or Never")
		f.DurationVar(&k.readyTimeout, "ready-timeout", kube.DefaultReadyTimeout, "kube: how long the pods may take to be Ready")
		f.BoolVar(&k.tolerateCP, "tolerate-control-plane", false, "kube: let the node choice use control-plane nodes tainted NoSchedule (their pods tolerate the taint)")
		addNamespaceFlag(f, k, "kube: run in this existing namespace instead of one of the run's own (for users who may create pods only there): "+
			"only the run's labelled pods and Services are created and deleted, never the namespace (docs/kube.md)")
		f.StringVar(&k.external, "external-server", "", "kube: a server outside the cluster, HOST[:PORT] (port 5201 when left out), running `cnibench server` or `iperf3 -s`: "+
			"the far end of pod-external and node-external, which run only with it")
		f.StringVar(&k.policy, "external-traffic-policy", string(corev1.ServiceExternalTrafficPolicyCluster), "kube: the NodePort Service's externalTrafficPolicy, Cluster or Local; "+
			"with Local, pod-nodeport-remote is refused at once (the node without the backend drops its NodePort's traffic)")
		f.Var(k.policies, "policies", "kube: NetworkPolicy objects selecting the server pods, each letting every client in, like 0,10,100,1000: a sweep, "+
			"refused unless the CNI enforces NetworkPolicy (docs/kube.md); "+sweepSyntax)
		f.StringArrayVar(&k.tolerations, "toleration", nil, "kube: let the node choice use nodes with this taint, KEY[=VALUE][:EFFECT] (e.g. dedicated=benchmark:NoSchedule; repeatable); their pods tolerate it")
	})
	return k
}

// addNamespaceFlag adds kubectl's -n/--namespace, which only an explicit
// value sets (never the kubeconfig's namespace).
func addNamespaceFlag(f *pflag.FlagSet, k *kubeOptions, usage string) {
	f.StringVarP(&k.namespace, "namespace", "n", "", usage)
}

// addKubeConnFlags adds kubectl's connection flags only.
func addKubeConnFlags(f *pflag.FlagSet) *kubeOptions {
	k := &kubeOptions{config: genericclioptions.NewConfigFlags(true)}
	k.config.ClusterName = nil
	k.config.Namespace = nil
	forCluster(f, "kube", k.config.AddFlags)
	return k
}

// warnUnpublished says up front when the run's image is the --image
// default of a development build, which nobody publishes; it may still
// have been pushed by hand, so the run goes on.
func (k *kubeOptions) warnUnpublished(s Streams, f *pflag.FlagSet) {
	if f.Changed("image") || image.Release() {
		return
	}
	fmt.Fprintf(s.Err, "warning: --image defaults to %s, which is not published: this cnibench is a development build.\n"+
		"  Unless you pushed that image yourself, make one the nodes can pull and pass it with --image:\n"+
		"  cnibench image push REGISTRY/cnibench:TAG, or cnibench image build --file cnibench.tar and load it on the nodes (docs/kube.md).\n", k.image)
}

// quietKlog sends client-go's own log lines (klog) to our logger when
// verbose, else nowhere: an interrupted exec's "use of closed network
// connection" is not news for people.
func quietKlog(s Streams, verbose bool) {
	if verbose {
		klog.SetSlogLogger(logger(s, true))
		return
	}
	klog.SetLogger(logr.Discard())
}

// client connects as the flags and kubeconfig say.
func (k *kubeOptions) client() (*rest.Config, kubernetes.Interface, error) {
	rc, err := k.config.ToRESTConfig()
	if err != nil {
		return nil, nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, nil, fmt.Errorf("kubeconfig: %w", err)
	}
	return rc, cs, nil
}

// cleanup removes (or lists) the namespaces crashed runs left, of the
// runs named (every run when none is), or with -n the objects they left in
// that namespace.
func (k *kubeOptions) cleanup(ctx context.Context, s Streams, olderThan time.Duration, dryRun bool, runs []string) error {
	_, cs, err := k.connect(ctx)
	if err != nil {
		return err
	}
	if k.namespace != "" {
		return k.cleanupIn(ctx, s, cs, olderThan, dryRun, runs)
	}
	found, err := kube.Cleanup(ctx, cs, olderThan, dryRun, time.Now(), runs...)
	verb := "removed"
	if dryRun {
		verb = "would remove"
	}
	for _, l := range found {
		fmt.Fprintf(s.Out, "%s namespace %s (run %s, %s old)\n", verb, l.Namespace, l.Run, l.Age.Round(time.Second))
	}
	if len(found) == 0 && err == nil {
		fmt.Fprintln(s.Err, "nothing to clean up")
	}
	return err
}

// cleanupIn removes (or lists) the objects of crashed runs in the
// namespace of -n, run by run; the namespace stays.
func (k *kubeOptions) cleanupIn(ctx context.Context, s Streams, cs kubernetes.Interface, olderThan time.Duration, dryRun bool, runs []string) error {
	found, err := kube.CleanupNamespace(ctx, cs, k.namespace, olderThan, dryRun, time.Now(), runs...)
	verb := "removed"
	if dryRun {
		verb = "would remove"
	}
	for _, l := range found {
		fmt.Fprintf(s.Out, "%s %d pods and Services of run %s in namespace %s (%s old)\n", verb, l.Objects, l.Run, l.Namespace, l.Age.Round(time.Second))
	}
	if len(found) == 0 && err == nil {
		fmt.Fprintf(s.Err, "nothing to clean up in namespace %s\n", k.namespace)
	}
	return err
}

// parseTolerations reads every --toleration into tols, once, before
// anything connects (a dry run checks them too).
func (k *kubeOptions) parseTolerations() error {
	k.tols = nil
	for _, v := range k.tolerations {
		t, err := kube.ParseToleration(v)
		if err != nil {
			return inFlagWords(err)
		}
		k.tols = append(k.tols, t)
	}
	return nil
}

// variants is the one kube variant: the run's namespace on the cluster,
// built when the run starts and deleted when it ends.
func (k *kubeOptions) variants(s Streams, runID string, nodes []string, verbose bool) ([]bench.Variant, error) {
	cfg, err := k.backendConfig(s, runID, nodes, verbose)
	if err != nil {
		return nil, err
	}
	return []bench.Variant{{Open: func(ctx context.Context) (cluster.Cluster, error) {
		c, err := kube.New(ctx, cfg)
		if err != nil {
			return nil, inFlagWords(err)
		}
		ch := c.NodeChoice()
		fmt.Fprintf(s.Err, "kube: namespace %s; nodes %s (%s)\n", c.Namespace(), strings.Join(ch.Nodes[:], ", "), ch.Reason)
		return c, nil
	}}}, nil
}

// backendConfig is the kube backend's config from the flags and the
// kubeconfig, for a run (nodes: its pair) or a mesh.
func (k *kubeOptions) backendConfig(s Streams, runID string, nodes []string, verbose bool) (kube.Config, error) {
	quietKlog(s, verbose)
	rest, cs, err := k.client()
	if err != nil {
		return kube.Config{}, err
	}
	name := rest.Host
	if raw, err := k.config.ToRawKubeConfigLoader().RawConfig(); err == nil {
		ctx := raw.CurrentContext
		if k.config.Context != nil && *k.config.Context != "" {
			ctx = *k.config.Context
		}
		if ctx != "" {
			name = ctx + " (" + rest.Host + ")"
		}
	}
	dyn, err := dynamic.NewForConfig(rest)
	if err != nil {
		return kube.Config{}, fmt.Errorf("kubeconfig: %w", err)
	}
	return kube.Config{
		Client: cs, Dynamic: dyn, REST: rest, Name: name, ID: runID, Namespace: k.namespace, Nodes: nodes, Image: k.image, ServerImage: k.serverImage,
		PullPolicy: corev1.PullPolicy(k.pullPolicy), ReadyTimeout: k.readyTimeout, TolerateControlPlane: k.tolerateCP, Tolerations: k.tols, Logger: logger(s, verbose),
		ExternalServer: k.external, ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicy(k.policy),
	}, nil
}

// runKube measures the plan on the cluster of the kubeconfig: one
// variant, the run's own namespace.
func runKube(cmd *cobra.Command, s Streams, o runOptions, format report.Format, plan bench.Plan, runID string) error {
	k := o.kube
	if err := k.parseTolerations(); err != nil {
		return err
	}
	if err := k.checkImage(); err != nil {
		return err
	}
	if err := k.externalScenarios(s, o, &plan); err != nil {
		return err
	}
	counts, err := k.policyCounts()
	if err != nil {
		return err
	}
	if o.dryRun {
		if len(plan.Nodes) == 0 {
			plan.Nodes = []string{"<node A>", "<node B>"} // chosen when the run starts
		}
		return bench.WriteTests(s.Out, plan.WithVariants(o.sweep(policyLabels([]bench.Variant{{}}, counts))))
	}
	if _, _, err := k.connect(cmd.Context()); err != nil {
		return err
	}
	k.warnUnpublished(s, cmd.Flags())
	vs, err := k.variants(s, runID, plan.Nodes, o.verbose)
	if err != nil {
		return err
	}
	v, release, err := openFirst(cmd.Context(), s, o.quiet, vs[0])
	if err != nil {
		return err
	}
	defer release()
	vs, releasePolicies, err := policyVariants(cmd.Context(), s, o.quiet, v, counts)
	if err != nil {
		return err
	}
	defer releasePolicies()
	return measure(cmd, s, o, format, plan, runID, o.sweep(vs))
}

// externalScenarios refuses the scenarios out of the cluster when no
// --external-server says where their server is: named ones with an error
// that names the flag; with --scenarios all they are left out, saying so.
func (k *kubeOptions) externalScenarios(s Streams, o runOptions, plan *bench.Plan) error {
	if err := kube.CheckTrafficPolicy(corev1.ServiceExternalTrafficPolicy(k.policy)); err != nil {
		return inFlagWords(err)
	}
	if k.external != "" {
		if _, _, err := kube.ParseExternalServer(k.external); err != nil {
			return inFlagWords(err)
		}
		return nil
	}
	var keep, external []string
	for _, name := range plan.Scenarios {
		if sc, err := bench.LookupScenario(name); err == nil && sc.To == cluster.ExternalEndpoint {
			external = append(external, name)
			continue
		}
		keep = append(keep, name)
	}
	switch {
	case len(external) == 0:
		return nil
	case len(o.scenarios) == 1 && o.scenarios[0] == "all":
		fmt.Fprintf(s.Err, "note: %s left out: they need a server outside the cluster; name one with --external-server HOST[:PORT] (docs/kube.md)\n", strings.Join(external, ", "))
		plan.Scenarios = keep
		return nil
	}
	return fmt.Errorf("%s need a server outside the cluster: run `cnibench server` (or `iperf3 -s`) on a host the nodes reach and name it with --external-server HOST[:PORT] (docs/kube.md)",
		strings.Join(external, ", "))
}

// kubeFlags are the flags of run that set the kube backend's settings.
var kubeFlags = map[kube.Setting]string{
	kube.SettingImage:      "--image",
	kube.SettingPullPolicy: "--image-pull-policy",
	kube.SettingNodes:      "--nodes",
	kube.SettingToleration: "--toleration",
	kube.SettingNamespace:  "--namespace",

	kube.SettingExternalServer:        "--external-server",
	kube.SettingExternalTrafficPolicy: "--external-traffic-policy",
}

// noPairHint is what a user of run can do when no node pair qualifies.
func noPairHint(e *kube.NoPairError) string {
	hint := "name two with --nodes A,B to use tainted ones, or tolerate their taints with --toleration KEY[=VALUE]:EFFECT"
	if !e.ControlPlaneTolerated {
		hint += ", or allow control-plane nodes with --tolerate-control-plane"
	}
	return hint
}

// inFlagWords says the kube backend's errors about its settings in the
// words of run's flags (the backend names none), keeping the error
// chain for errors.Is and errors.As.
func inFlagWords(err error) error {
	msg := err.Error()
	walkErrors(err, func(e error) {
		switch e := e.(type) {
		case *kube.SettingError:
			if flag, ok := kubeFlags[e.Setting]; ok {
				msg = strings.Replace(msg, e.Error(), e.Named(flag), 1)
			}
		case *kube.NoPairError:
			msg = strings.Replace(msg, e.Error(), e.Summary()+": "+noPairHint(e), 1)
		}
	})
	if msg == err.Error() {
		return err
	}
	return reworded{msg: msg, err: err}
}

// reworded is err with another message.
type reworded struct {
	msg string
	err error
}

func (r reworded) Error() string { return r.msg }
func (r reworded) Unwrap() error { return r.err }

// walkErrors calls fn on err and every error it wraps, joined ones too.
func walkErrors(err error, fn func(error)) {
	if err == nil {
		return
	}
	fn(err)
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		walkErrors(u.Unwrap(), fn)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walkErrors(e, fn)
		}
	}
}
