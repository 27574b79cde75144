package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/cluster/lab"
	"github.com/cnibench/cnibench/internal/meshrecord"
	"github.com/cnibench/cnibench/internal/meshreport"
	"github.com/cnibench/cnibench/internal/meshrun"
	"github.com/cnibench/cnibench/internal/report"
	"github.com/cnibench/cnibench/internal/units"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// meshLabOptions are mesh's flags for --cluster lab.
type meshLabOptions struct {
	nodes    int
	datapath string
	linkRate string
	slowNode string
}

func addMeshLabFlags(f *pflag.FlagSet) *meshLabOptions {
	l := &meshLabOptions{}
	forCluster(f, "lab", func(f *pflag.FlagSet) {
		f.IntVar(&l.nodes, "nodes", 8, fmt.Sprintf("lab: nodes, 2 to %d", lab.MaxNodes))
		f.StringVar(&l.datapath, "datapath", string(lab.Routed), "lab: the pod datapath: routed, vxlan, ipip or wireguard")
		f.StringVar(&l.linkRate, "link-rate", defaultLabLinkRate, "lab: shape each node's uplink: "+linkRateHelp)
		f.StringVar(&l.slowNode, "slow-node", "", "lab: NODE=RATE shapes one node's uplink both ways to RATE instead, e.g. node-5=200mbit: an outlier to find")
	})
	return l
}

// config turns the lab flags into the lab's config; an error names the flag.
func (l *meshLabOptions) config(s Streams, id string, verbose bool) (lab.Config, error) {
	c := lab.Config{ID: id, Nodes: l.nodes, PodsPerNode: 2, Datapath: lab.Datapath(strings.ToLower(l.datapath)), Logger: logger(s, verbose)}
	if l.nodes < 2 {
		return c, fmt.Errorf("--nodes %d: a mesh needs 2 to %d nodes", l.nodes, lab.MaxNodes)
	}
	r, err := units.ParseRate(l.linkRate)
	if err != nil {
		return c, fmt.Errorf("--link-rate: %w", err)
	}
	c.LinkRate = r
	if l.slowNode != "" {
		name, rate, ok := strings.Cut(l.slowNode, "=")
		i, nerr := strconv.Atoi(strings.TrimPrefix(name, "node-"))
		if !ok || nerr != nil || !strings.HasPrefix(name, "node-") {
			return c, fmt.Errorf("--slow-node %q: use NODE=RATE, like node-5=200mbit", l.slowNode)
		}
		v, err := units.ParseRate(rate)
		if err != nil {
			return c, fmt.Errorf("--slow-node: %w", err)
		}
		c.SlowNode, c.SlowNodeRate = i, v
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("lab: %w (--nodes, --datapath, --link-rate, --slow-node)", err)
	}
	return c, nil
}

// meshLab measures the mesh on a lab built for it.
func meshLab(cmd *cobra.Command, s Streams, o meshOptions, format report.Format, id string) error {
	cfg, err := o.lab.config(s, id, o.run.verbose)
	if err != nil {
		return err
	}
	var nodes []meshrecord.Node
	for i := 1; i <= cfg.Nodes; i++ {
		nodes = append(nodes, meshrecord.Node{Name: lab.NodeName(i)})
	}
	m, err := o.newRecord(s, id, nodes)
	if err != nil {
		return err
	}
	if o.run.dryRun {
		m.Cluster = meshrecord.Cluster{Kind: "lab", Name: "lab-" + id}
		meshreport.WritePlan(s.Out, m, time.Duration(o.run.duration)+time.Duration(o.run.omit)+labSetup)
		return nil
	}
	if done, err := rootless(cmd, s); done {
		return err
	}
	if err := lab.Supported(cfg.Datapath); err != nil {
		return err
	}
	ctx := cmd.Context()
	l, err := lab.Build(ctx, cfg)
	if err != nil {
		return err
	}
	defer l.Close(ctx) //nolint:errcheck // the lab's namespaces go with the process anyway
	eps, err := meshrun.Nodes(ctx, l)
	if err != nil {
		return err
	}
	return measureMesh(ctx, s, o, format, l, eps, m)
}

// labSetup is a lab test's time beyond its duration and omit (connect,
// parameter exchange, results), for the dry run's estimate.
const labSetup = 200 * time.Millisecond
