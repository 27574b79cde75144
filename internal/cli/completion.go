package cli

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/cluster/lab"
	"github.com/cnibench/cnibench/internal/report"
	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// nodeCompletionTimeout bounds the API call that completes --nodes: a
// shell waiting on a dead API server is worse than no suggestions.
const nodeCompletionTimeout = 2 * time.Second

// registerCompletions makes shell completion offer the values of every
// flag that has a fixed or discoverable set (scenarios, datapaths,
// protocols, -o formats, kube contexts and nodes) and lab IDs as the
// arguments of lab status and lab down. Flags are found by name in the
// whole tree, so a command that adds one gets its completion.
func registerCompletions(root *cobra.Command, labs lab.Store) {
	datapaths := make([]string, len(lab.Datapaths))
	for i, d := range lab.Datapaths {
		datapaths[i] = string(d)
	}
	byFlag := map[string]cobra.CompletionFunc{
		"scenarios":         listCompletion(func() []string { return bench.ScenarioNames() }),
		"protocol":          listCompletion(func() []string { return []string{"tcp", "udp"} }),
		"datapath":          listCompletion(func() []string { return datapaths }),
		"order":             fixed(string(bench.Interleaved), string(bench.Sequential)),
		"cluster":           fixed("lab", "kube"),
		"image-pull-policy": fixed("Always", "IfNotPresent", "Never"),
		"context":           completeKubeContexts,
		"nodes":             completeNodes,
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for name, fn := range byFlag {
			if fl := c.Flags().Lookup(name); fl != nil && fl.Value.Type() != "int" { // lab up --nodes is a count
				_ = c.RegisterFlagCompletionFunc(name, fn)
			}
		}
		if formats := outputFormats(c); formats != nil {
			_ = c.RegisterFlagCompletionFunc("output", fixed(formats...))
		}
		if c.HasParent() && c.Parent().Name() == "lab" && (c.Name() == "status" || c.Name() == "down") {
			c.ValidArgsFunction = completeLabIDs(labs, c.Name() == "down")
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// outputFormats are the -o values of c when they are report formats;
// nil when c has no such -o (its own completion, or a file).
func outputFormats(c *cobra.Command) []string {
	var fs []report.Format
	switch c.Name() {
	case "run", "report":
		fs = report.Formats
	case "compare":
		fs = report.CompareFormats
	default:
		return nil
	}
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = string(f)
	}
	return names
}

// fixed completes a flag with one of values.
func fixed(values ...string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return withPrefix(values, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// withPrefix are the values that start with prefix.
func withPrefix(values []string, prefix string) []cobra.Completion {
	var out []cobra.Completion
	for _, v := range values {
		if strings.HasPrefix(v, prefix) {
			out = append(out, v)
		}
	}
	return out
}

// listCompletion completes a comma-separated list flag: the values not
// yet in the list, after what is typed before the last comma.
func listCompletion(values func() []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		done, prefix := "", toComplete
		if i := strings.LastIndex(toComplete, ","); i >= 0 {
			done, prefix = toComplete[:i+1], toComplete[i+1:]
		}
		have := strings.Split(strings.TrimSuffix(done, ","), ",")
		var out []cobra.Completion
		for _, v := range values() {
			if strings.HasPrefix(v, prefix) && !slices.Contains(have, v) {
				out = append(out, done+v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// completeLabIDs offers the IDs of kept labs (and leftovers), each once.
func completeLabIDs(labs lab.Store, many bool) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 && !many {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		kept, _ := labs.Kept()
		var ids []string
		for _, st := range kept {
			if !slices.Contains(args, st.Config.ID) {
				ids = append(ids, st.Config.ID)
			}
		}
		return withPrefix(ids, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// kubeLoader reads the kubeconfig as kubectl would with the command's
// --kubeconfig and --context: files only, no API call.
func kubeLoader(c *cobra.Command) clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath, _ = c.Flags().GetString("kubeconfig")
	overrides := &clientcmd.ConfigOverrides{}
	overrides.CurrentContext, _ = c.Flags().GetString("context")
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
}

// completeKubeContexts offers the kubeconfig's contexts.
func completeKubeContexts(c *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	raw, err := kubeLoader(c).RawConfig()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for name := range raw.Contexts {
		names = append(names, name)
	}
	slices.Sort(names)
	return withPrefix(names, toComplete), cobra.ShellCompDirectiveNoFileComp
}

// completeNodes offers --nodes: the lab's node names, or with --cluster
// kube the cluster's nodes (one API call, bounded, silent on failure).
func completeNodes(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	names := func() []string {
		if cl, _ := c.Flags().GetString("cluster"); cl != "kube" {
			return []string{lab.NodeName(1), lab.NodeName(2), lab.NodeName(3)} // lab up's default 3 nodes
		}
		return kubeNodes(c)
	}
	return listCompletion(names)(c, args, toComplete)
}

// kubeNodes lists the cluster's node names, nil on any failure.
func kubeNodes(c *cobra.Command) []string {
	rc, err := kubeLoader(c).ClientConfig()
	if err != nil {
		return nil
	}
	rc.Timeout = nodeCompletionTimeout
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), nodeCompletionTimeout)
	defer cancel()
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	var names []string
	for _, n := range nodes.Items {
		names = append(names, n.Name)
	}
	return names
}
