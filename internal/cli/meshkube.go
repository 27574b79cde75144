package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/cluster/kube"
	"github.com/cnibench/cnibench/internal/meshrecord"
	"github.com/cnibench/cnibench/internal/meshreport"
	"github.com/cnibench/cnibench/internal/meshrun"
	"github.com/cnibench/cnibench/internal/report"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// meshKubeOptions are mesh's own flags for --cluster kube.
type meshKubeOptions struct {
	selector string
	maxNodes int
}

func addMeshKubeFlags(f *pflag.FlagSet) *meshKubeOptions {
	k := &meshKubeOptions{}
	forCluster(f, "kube", func(f *pflag.FlagSet) {
		f.StringVar(&k.selector, "node-selector", "", "kube: measure the nodes with these labels, like kubectl's -l (default: every Ready, schedulable node)")
		f.IntVar(&k.maxNodes, "max-nodes", 0, "kube: measure at most this many usable nodes, the first by name (0 = all)")
	})
	return k
}

// selection is the mesh's node selection; an error names the flag.
func (k *meshKubeOptions) selection() (kube.MeshSelection, error) {
	if _, err := kube.ParseSelector(k.selector); err != nil {
		return kube.MeshSelection{}, fmt.Errorf("--node-selector: %w", err)
	}
	if k.maxNodes < 0 || k.maxNodes == 1 {
		return kube.MeshSelection{}, fmt.Errorf("--max-nodes %d: use 2 or more, or 0 for every node", k.maxNodes)
	}
	return kube.MeshSelection{Selector: k.selector, MaxNodes: k.maxNodes}, nil
}

// kubeSetup is a kube test's time beyond its duration and omit (the exec,
// connect, results), for the dry run's estimate.
const kubeSetup = 2 * time.Second

// meshRecordNodes are the record's nodes and skipped nodes of a choice.
func meshRecordNodes(mc kube.MeshChoice) ([]meshrecord.Node, []meshrecord.Skipped) {
	var nodes []meshrecord.Node
	for _, n := range mc.Nodes {
		nodes = append(nodes, meshrecord.Node{Name: n.Name, Zone: n.Zone, InstanceType: n.InstanceType})
	}
	var skipped []meshrecord.Skipped
	for _, s := range mc.Skipped {
		skipped = append(skipped, meshrecord.Skipped{Name: s.Name, Reason: s.Reason})
	}
	return nodes, skipped
}

// meshKube measures the mesh on the kubeconfig's cluster: the nodes the
// selection takes, a host, a server and a client pod on each, in the
// run's namespace, removed at the end.
func meshKube(cmd *cobra.Command, s Streams, o meshOptions, format report.Format, id string) error {
	k := o.run.kube
	sel, err := o.kube.selection()
	if err != nil {
		return err
	}
	if err := k.parseTolerations(); err != nil {
		return err
	}
	if err := k.checkImage(); err != nil {
		return err
	}
	ctx := cmd.Context()
	_, cs, err := k.connect(ctx)
	if err != nil {
		return err
	}
	if o.run.dryRun { // the nodes as the mesh would take them now, read-only
		list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: sel.Selector})
		if err != nil {
			return fmt.Errorf("list nodes: %w", err)
		}
		tols := k.tols
		if k.tolerateCP {
			tols = append(tols, kube.ControlPlaneTolerations()...)
		}
		mc, err := kube.ChooseMeshNodes(list.Items, sel, tols)
		if err != nil {
			return err
		}
		nodes, skipped := meshRecordNodes(mc)
		m, err := o.newRecord(s, id, nodes)
		if err != nil {
			return err
		}
		m.Skipped = skipped
		m.Cluster = meshrecord.Cluster{Kind: "kube", Name: "(dry run)"}
		meshreport.WritePlan(s.Out, m, time.Duration(o.run.duration)+time.Duration(o.run.omit)+kubeSetup)
		return nil
	}
	k.warnUnpublished(s, cmd.Flags())
	cfg, err := k.backendConfig(s, id, nil, o.run.verbose)
	if err != nil {
		return err
	}
	cfg.Mesh = &sel
	var kc *kube.Cluster
	_, release, err := openFirst(ctx, s, o.run.quiet, bench.Variant{Open: func(ctx context.Context) (cluster.Cluster, error) {
		c, err := kube.New(ctx, cfg)
		if err != nil {
			return nil, inFlagWords(err)
		}
		kc = c
		return c, nil
	}})
	if err != nil {
		return err
	}
	defer release() // nothing else opens the cluster, so release removes the run's namespace
	var c cluster.Cluster = kc
	nodes, skipped := meshRecordNodes(*kc.Mesh())
	if !o.run.quiet {
		fmt.Fprintf(s.Err, "kube: namespace %s; %d nodes, %d skipped\n", kc.Namespace(), len(nodes), len(skipped))
	}
	m, err := o.newRecord(s, id, nodes)
	if err != nil {
		return err
	}
	m.Skipped = skipped
	eps, err := meshrun.Nodes(ctx, c)
	if err != nil {
		return err
	}
	return measureMesh(ctx, s, o, format, c, eps, m)
}
