package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cnibench/cnibench/internal/units"

	"github.com/cnibench/cnibench/internal/cluster/lab"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// labUpOptions are `cnibench lab up`'s flags.
type labUpOptions struct {
	id          string
	nodes       int
	podsPerNode int
	datapath    string
	mtu         int
	podMTU      int
	linkRate    string
	ipv6        bool
	policyRules int
	proxy       string
	services    int
	verbose     bool
}

func (o labUpOptions) config(s Streams) (lab.Config, error) {
	rate, err := units.ParseRate(o.linkRate)
	if err != nil {
		return lab.Config{}, err
	}
	cfg := lab.Config{
		ID: o.id, Nodes: o.nodes, PodsPerNode: o.podsPerNode, Datapath: lab.Datapath(o.datapath),
		UnderlayMTU: o.mtu, PodMTU: o.podMTU, LinkRate: rate, DualStack: o.ipv6,
		PolicyRules: o.policyRules, ServiceProxy: lab.ServiceProxy(strings.ToLower(o.proxy)), Services: o.services, Logger: logger(s, o.verbose),
	}.WithDefaults()
	return cfg, cfg.Validate()
}

// newLabCommand builds `cnibench lab` with up, status and down, keeping
// labs in the store labs.
func newLabCommand(s Streams, labs lab.Store) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Keep an emulated cluster (network namespaces) up for inspection",
		Long: `The lab is cnibench's embedded cluster: nodes on a switch, pods behind
veths, a routed, vxlan, ipip or wireguard datapath, Services through
nftables DNAT. Benchmarks build and remove their own lab; "lab up" keeps
one, with namespaces named cnibench-ID-* that "ip netns exec" can enter.
Without root, cnibench runs the lab in a user namespace of its own.`,
	}
	cmd.AddCommand(newLabUpCommand(s, labs), newLabStatusCommand(s, labs), newLabDownCommand(s, labs))
	return cmd
}

func newLabUpCommand(s Streams, labs lab.Store) *cobra.Command {
	o := labUpOptions{}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Build a lab and keep it; prints its ID",
		Example: `  cnibench lab up
  cnibench lab up --datapath vxlan --link-rate 1gbit --ipv6
  sudo ip netns exec cnibench-ID-pod-1a ip addr`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if done, err := rootless(cmd, s); done {
				return err
			}
			cfg, err := o.config(s)
			if err != nil {
				return err
			}
			return runLabUp(cmd.Context(), s, labs, cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.id, "id", "", "lab ID, 1-8 lowercase letters or digits (default: random)")
	f.IntVar(&o.nodes, "nodes", 3, "nodes")
	f.IntVar(&o.podsPerNode, "pods-per-node", 2, "pods on each node")
	f.StringVar(&o.datapath, "datapath", string(lab.Routed), "pod datapath: routed, vxlan, ipip or wireguard")
	f.IntVar(&o.mtu, "mtu", 1500, "underlay MTU")
	f.IntVar(&o.podMTU, "pod-mtu", 0, "pod MTU (default: underlay MTU minus the datapath's header tax)")
	f.StringVar(&o.linkRate, "link-rate", defaultLabLinkRate, "shape each node's uplink (as run does by default): "+linkRateHelp)
	f.BoolVar(&o.ipv6, "ipv6", false, "dual-stack: add IPv6 (ULA) addresses")
	f.IntVar(&o.policyRules, "policy-rules", 0, "non-matching nftables rules in every node's forward path")
	f.StringVar(&o.proxy, "service-proxy", string(lab.NFTablesProxy), "how nodes implement Services, kube-proxy's modes: nftables (verdict maps) or iptables (a linear KUBE-SERVICES chain)")
	f.IntVar(&o.services, "services", 0, "other Services in every node's tables, as a cluster has")
	f.BoolVarP(&o.verbose, "verbose", "V", false, "log progress to stderr")
	return cmd
}

func runLabUp(ctx context.Context, s Streams, labs lab.Store, cfg lab.Config) error {
	if lab.InRootlessChild() {
		// A rootless lab lives in this process's user namespace: keep it
		// until interrupted.
		l, err := lab.Build(ctx, cfg)
		if err != nil {
			return err
		}
		fmt.Fprintln(s.Out, l.ID())
		fmt.Fprintf(s.Err, "%s\nrootless: the lab lives as long as this command (pid %d); Ctrl-C removes it.\n", l, os.Getpid())
		<-ctx.Done()
		return l.Close(context.Background())
	}
	st, err := labs.Up(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(s.Out, st.Config.ID)
	return nil
}

func newLabStatusCommand(s Streams, labs lab.Store) *cobra.Command {
	var out *textOrJSON
	cmd := &cobra.Command{
		Use:     "status [ID]",
		Short:   "Show kept labs: nodes, pods, addresses, datapath, MTU, link rate",
		Example: "  cnibench lab status\n  cnibench lab status k3x9q2 -o json",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			asJSON, err := out.asJSON()
			if err != nil {
				return err
			}
			return runLabStatus(s, labs, args, asJSON)
		},
	}
	out = addTextOrJSONFlag(cmd, s)
	return cmd
}

// labStatus is one kept lab as `lab status` shows it.
type labStatus struct {
	lab.State
	Namespaces []string `json:"namespaces"`
	Complete   bool     `json:"complete"` // every namespace the config implies exists
}

func runLabStatus(s Streams, labs lab.Store, args []string, asJSON bool) error {
	kept, err := labs.Kept()
	if err != nil {
		return err
	}
	var out []labStatus
	for _, st := range kept {
		if len(args) == 1 && st.Config.ID != args[0] {
			continue
		}
		names, err := lab.Namespaces(st.Config.ID)
		if err != nil {
			return err
		}
		c := st.Config
		out = append(out, labStatus{State: st, Namespaces: names, Complete: c.Nodes > 0 && len(names) == 1+c.Nodes*(1+c.PodsPerNode)})
	}
	if len(args) == 1 && len(out) == 0 {
		return &lab.UnknownLabError{ID: args[0], Known: labIDs(kept)}
	}
	if asJSON {
		return writeJSON(s.Out, out)
	}
	if len(out) == 0 {
		fmt.Fprintln(s.Err, "no labs")
		return nil
	}
	for _, ls := range out {
		printLab(s, ls)
	}
	return nil
}

// labIDs are the IDs of labs.
func labIDs(labs []lab.State) []string {
	var ids []string
	for _, st := range labs {
		ids = append(ids, st.Config.ID)
	}
	return ids
}

func printLab(s Streams, ls labStatus) {
	c := ls.Config
	if c.Nodes == 0 {
		fmt.Fprintf(s.Out, "lab %s: leftover namespaces without a record (remove with 'cnibench lab down %s'): %s\n\n",
			c.ID, c.ID, strings.Join(ls.Namespaces, " "))
		return
	}
	state := "up"
	if !ls.Complete {
		state = fmt.Sprintf("incomplete (%d namespaces left)", len(ls.Namespaces))
	}
	fmt.Fprintf(s.Out, "lab %s: %s, datapath %s, MTU %d (pods %d), link rate %s, created %s\n",
		c.ID, state, c.Datapath, c.UnderlayMTU, c.PodMTU, linkRate(c.LinkRate), ls.Created.Format("2006-01-02 15:04:05Z"))
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tNODE\tADDRESSES\tNAMESPACE")
	for i := 1; i <= c.Nodes; i++ {
		addrs := lab.NodeIP(i).String()
		if c.DualStack {
			addrs += " " + lab.NodeIP6(i).String()
		}
		fmt.Fprintf(tw, "%s\tnode\t%s\t%s\tcnibench-%s-%s\n", lab.NodeName(i), lab.NodeName(i), addrs, c.ID, lab.NodeName(i))
	}
	for i := 1; i <= c.Nodes; i++ {
		for j := 1; j <= c.PodsPerNode; j++ {
			addrs := lab.PodIP(i, j).String()
			if c.DualStack {
				addrs += " " + lab.PodIP6(i, j).String()
			}
			fmt.Fprintf(tw, "%s\tpod\t%s\t%s\tcnibench-%s-%s\n", lab.PodName(i, j), lab.NodeName(i), addrs, c.ID, lab.PodName(i, j))
		}
	}
	tw.Flush()
	fmt.Fprintln(s.Out)
}

func newLabDownCommand(s Streams, labs lab.Store) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:     "down [ID...]",
		Short:   "Remove kept labs",
		Example: "  cnibench lab down k3x9q2\n  cnibench lab down --all",
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return fmt.Errorf("name the labs to remove, or use --all")
			}
			f := lab.Filter{IDs: args, IncludeKept: true}
			removed, err := labs.Cleanup(f, false)
			for _, st := range removed {
				fmt.Fprintf(s.Err, "removed lab %s\n", st.Config.ID)
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "remove every lab, kept or left over")
	return cmd
}

// cleanupOptions are the flags of `cnibench cleanup`.
type cleanupOptions struct {
	dryRun      bool
	cluster     string
	olderThan   time.Duration
	includeKept bool
	kube        *kubeOptions
}

// newCleanupCommand builds `cnibench cleanup`: remove the labs crashed
// processes left (and kept ones when asked), or with --cluster kube a
// cluster's leftover namespaces.
func newCleanupCommand(s Streams, labs lab.Store) *cobra.Command {
	var o cleanupOptions
	cmd := &cobra.Command{
		Use:   "cleanup [ID...]",
		Short: "Remove what cnibench left behind (labs, or a Kubernetes cluster's namespaces)",
		Long: `Remove the labs that crashed processes left: namespaces named cnibench-*
without the record "lab up" writes. Labs kept on purpose with "lab up" stay
unless --all is given or they are named. Labs that benchmarks build
themselves need no cleanup: they live in namespaces only their process
holds, which the kernel removes when it ends, crash or SIGKILL included.

With --cluster kube: delete the Kubernetes namespaces cnibench-* labelled
app.kubernetes.io/managed-by=cnibench that a killed run left (a run deletes
its own, Ctrl-C included).

Name lab IDs (or with --cluster kube, run IDs) to remove only those; an ID
that does not exist is an error. --older-than spares what is younger, such
as a lab being built or a run still going.`,
		Example: "  cnibench cleanup --dry-run\n  cnibench cleanup --older-than 1h\n  cnibench cleanup --all\n" +
			"  cnibench cleanup --cluster kube --older-than 1h --dry-run\n  cnibench cleanup --cluster kube 3f9c2a",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkClusterFlags(cmd.Flags(), o.cluster); err != nil {
				return err
			}
			if o.olderThan < 0 {
				return fmt.Errorf("--older-than %s: want a duration ≥ 0, like 1h", o.olderThan)
			}
			switch o.cluster {
			case "kube":
				return o.kube.cleanup(cmd.Context(), s, o.olderThan, o.dryRun, args)
			case "lab":
				return cleanupLabs(s, labs, o, args)
			}
			return fmt.Errorf("unknown cluster %q: use lab or kube", o.cluster)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.dryRun, "dry-run", false, "list what would be removed, remove nothing")
	f.StringVar(&o.cluster, "cluster", "lab", "lab, or kube (the cluster of your kubeconfig)")
	f.DurationVar(&o.olderThan, "older-than", 0, "only what is older than this (e.g. 1h)")
	forCluster(f, "lab", func(f *pflag.FlagSet) {
		f.BoolVar(&o.includeKept, "all", false, "lab: also remove labs kept on purpose with 'lab up'")
	})
	o.kube = addKubeConnFlags(f)
	forCluster(f, "kube", func(f *pflag.FlagSet) {
		addNamespaceFlag(f, o.kube, "kube: clean up in this namespace, which runs were given with -n: only the pods and Services labelled by a cnibench run, never the namespace")
	})
	groupClusterFlags(cmd)
	return cmd
}

// cleanupLabs removes (or lists) the labs the cleanup flags choose.
func cleanupLabs(s Streams, labs lab.Store, o cleanupOptions, ids []string) error {
	found, err := labs.Cleanup(lab.Filter{IDs: ids, OlderThan: o.olderThan, IncludeKept: o.includeKept}, o.dryRun)
	verb := "removed"
	if o.dryRun {
		verb = "would remove"
	}
	for _, st := range found {
		what := "leftover namespaces"
		if st.Recorded() {
			what = "kept with 'lab up'"
		}
		fmt.Fprintf(s.Out, "%s lab %s (%s)\n", verb, st.Config.ID, what)
	}
	if len(found) == 0 && err == nil {
		fmt.Fprintln(s.Err, "nothing to clean up")
	}
	return err
}

// rootless re-executes the command in a user namespace when not root, and
// reports whether it did (then err carries the child's exit status).
func rootless(cmd *cobra.Command, s Streams) (bool, error) {
	if lab.InRootlessChild() {
		return false, lab.PrepareRootlessChild()
	}
	if !lab.NeedsReexec() {
		return false, nil
	}
	code, err := lab.Reexec(cmd.Context(), s.Args, s.In, s.Out, s.Err)
	if err != nil {
		return true, err
	}
	if code != 0 {
		return true, &exitError{code: code, err: fmt.Errorf("rootless lab exited with status %d", code)}
	}
	return true, nil
}
