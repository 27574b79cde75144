package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

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
	verbose     bool
}

func (o labUpOptions) config(s Streams) (lab.Config, error) {
	rate, err := lab.ParseRate(o.linkRate)
	if err != nil {
		return lab.Config{}, err
	}
	cfg := lab.Config{
		ID: o.id, Nodes: o.nodes, PodsPerNode: o.podsPerNode, Datapath: lab.Datapath(o.datapath),
		UnderlayMTU: o.mtu, PodMTU: o.podMTU, LinkRate: rate, DualStack: o.ipv6,
		PolicyRules: o.policyRules, Logger: logger(s, o.verbose),
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
	f.StringVar(&o.linkRate, "link-rate", "0", "shape each node's uplink, e.g. 1gbit, 10gbit (0 = unshaped)")
	f.BoolVar(&o.ipv6, "ipv6", false, "dual-stack: add IPv6 (ULA) addresses")
	f.IntVar(&o.policyRules, "policy-rules", 0, "non-matching nftables rules in every node's forward path")
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
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [ID]",
		Short: "Show kept labs: nodes, pods, addresses, datapath, MTU, link rate",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLabStatus(s, labs, args, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
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
		return fmt.Errorf("no lab %s", args[0])
	}
	if asJSON {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
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
		c.ID, state, c.Datapath, c.UnderlayMTU, c.PodMTU, lab.FormatRate(c.LinkRate), ls.Created.Format("2006-01-02 15:04:05Z"))
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
			if all {
				ids, err := labs.Cleanup(false)
				for _, id := range ids {
					fmt.Fprintf(s.Err, "removed lab %s\n", id)
				}
				return err
			}
			for _, id := range args {
				if err := labs.Down(id); err != nil {
					return fmt.Errorf("lab down %s: %w", id, err)
				}
				fmt.Fprintf(s.Err, "removed lab %s\n", id)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "remove every lab")
	return cmd
}

// newCleanupCommand builds `cnibench cleanup`: remove every lab of ours
// (those kept in labs, and leftovers of a crashed process), or with
// --cluster kube a cluster's leftover namespaces.
func newCleanupCommand(s Streams, labs lab.Store) *cobra.Command {
	var dryRun bool
	var which string
	var olderThan time.Duration
	var k *kubeOptions
	cmd := &cobra.Command{
		Use:   "cleanup",
		Short: "Remove everything cnibench left behind (labs, or a Kubernetes cluster's namespaces)",
		Long: `Remove every lab of cnibench's: kept labs and namespaces named cnibench-*
left by a crashed process. Labs that benchmarks build themselves need no
cleanup: they live in namespaces only their process holds, which the
kernel removes when it ends, crash or SIGKILL included.

With --cluster kube: delete the Kubernetes namespaces cnibench-* labelled
app.kubernetes.io/managed-by=cnibench that a killed run left (a run deletes
its own, Ctrl-C included); --older-than spares runs still going. With -n NS
as well: delete, in that namespace, the pods and Services labelled
app.kubernetes.io/managed-by=cnibench and cnibench.io/run that runs given
-n NS left, and nothing else.`,
		Example: "  cnibench cleanup --dry-run\n  cnibench cleanup\n  cnibench cleanup --cluster kube --older-than 1h --dry-run\n  cnibench cleanup --cluster kube -n benchmarks",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkClusterFlags(cmd.Flags(), which); err != nil {
				return err
			}
			switch which {
			case "kube":
				return k.cleanup(cmd.Context(), s, olderThan, dryRun)
			case "lab":
			default:
				return fmt.Errorf("unknown cluster %q: use lab or kube", which)
			}
			ids, err := labs.Cleanup(dryRun)
			verb := "removed"
			if dryRun {
				verb = "would remove"
			}
			for _, id := range ids {
				fmt.Fprintf(s.Out, "%s lab %s\n", verb, id)
			}
			if len(ids) == 0 {
				fmt.Fprintln(s.Err, "nothing to clean up")
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be removed, remove nothing")
	cmd.Flags().StringVar(&which, "cluster", "lab", "lab, or kube (the cluster of your kubeconfig)")
	forCluster(cmd.Flags(), "kube", func(f *pflag.FlagSet) {
		f.DurationVar(&olderThan, "older-than", 0, "kube: only namespaces older than this (e.g. 1h)")
	})
	k = addKubeConnFlags(cmd.Flags())
	forCluster(cmd.Flags(), "kube", func(f *pflag.FlagSet) {
		addNamespaceFlag(f, k, "kube: clean up in this namespace, which runs were given with -n: only the pods and Services labelled by a cnibench run, never the namespace")
	})
	groupClusterFlags(cmd)
	return cmd
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
