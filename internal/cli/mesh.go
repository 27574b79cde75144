package cli

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/mesh"
	"github.com/cnibench/cnibench/internal/meshrecord"
	"github.com/cnibench/cnibench/internal/meshreport"
	"github.com/cnibench/cnibench/internal/meshrun"
	"github.com/cnibench/cnibench/internal/report"
	"github.com/cnibench/cnibench/internal/runid"
	"github.com/spf13/cobra"
)

// meshOptions are the flags of `cnibench mesh`; run holds the ones it
// shares with `cnibench run` (timing, cluster, outputs, kube's).
type meshOptions struct {
	run         runOptions
	scenarios   []string
	protocol    string
	streams     int
	samplePairs int
	lab         *meshLabOptions  // meshlab.go
	kube        *meshKubeOptions // meshkube.go
}

func newMeshCommand(s Streams) *cobra.Command {
	o := meshOptions{}
	cmd := &cobra.Command{
		Use:   "mesh",
		Short: "Measure every node pair of the cluster and name the node that is slow",
		Long: `Measure every pair of nodes, both directions, as a round-robin tournament:
no node is in two tests at once, each round's tests run in parallel, so N
nodes take N−1 rounds (N for odd N), each run once per direction (A→B, then
B→A: two tests rather than one --bidir test, so each direction is measured
alone at full rate and a node slow only when sending or only when receiving
shows as such). Per pair: the median goodput over --repeats (with its 95%
interval from 6 repeats); per node: the median of its pairs against the
cluster's median, a robust z-score (median and MAD), and the nodes beyond
it named with their evidence. With both scenarios (the default) the pod
network's cost per pair is 1 − pod-pod-cross / node-node.

The cluster is the lab (--nodes, --slow-node to make one node slow) or with
--cluster kube your cluster's Ready, schedulable nodes (--node-selector,
--max-nodes): a host pod, a server pod and a client pod on each, in the
run's namespace, deleted at the end. Wall time is about rounds × 2
directions × scenarios × repeats × (duration + omit + setup): --sample-pairs
K measures each node against K random peers in K rounds instead.
docs/mesh.md explains the statistics and what sampling may miss.`,
		Example: `  # an 8-node lab with node-5 at a fifth of the others' rate
  cnibench mesh --nodes 8 --link-rate 1gbit --slow-node node-5=200mbit

  # the round plan and its wall time, without measuring
  cnibench mesh --cluster kube --dry-run

  # a large cluster: each node against 5 random peers, node network only
  cnibench mesh --cluster kube --sample-pairs 5 --scenarios node-node --out-dir mesh`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runMesh(cmd, s, o) },
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.scenarios, "scenarios", meshrecord.Scenarios, "scenarios per pair: node-node, pod-pod-cross or both (the pod network's cost per pair)")
	f.StringVar(&o.protocol, "protocol", "tcp", "protocol: tcp or udp")
	f.IntVar(&o.streams, "streams", 1, "parallel streams per test")
	addTimingFlags(f, &o.run)
	f.IntVar(&o.run.repeats, "repeats", 1, "tests of every pair and direction (6 or more for a 95% interval of each pair's median; the node scores need 1)")
	f.IntVar(&o.samplePairs, "sample-pairs", 0, "measure each node against this many random peers instead of all (K rounds instead of N−1; docs/mesh.md says what it may miss)")
	f.Uint64Var(&o.run.seed, "seed", 0, "seed of --sample-pairs' choice (default: a new one, recorded)")
	f.StringVar(&o.run.cluster, "cluster", "lab", "where to measure: lab, or kube (the cluster of your kubeconfig)")
	f.BoolVar(&o.run.dryRun, "dry-run", false, "print the round plan and its wall time, and exit")
	f.StringVarP(&o.run.output, "output", "o", string(report.Table), "output format on stdout: "+report.FormatNames(meshreport.Formats))
	f.StringVar(&o.run.outDir, "out-dir", "", "also write mesh.json (saved after every round) and every format into this directory")
	f.BoolVarP(&o.run.quiet, "quiet", "q", false, "no progress on stderr")
	f.BoolVarP(&o.run.verbose, "verbose", "V", false, "log the cluster's steps to stderr")
	o.lab = addMeshLabFlags(f)
	o.run.kube = addKubeFlags(f)
	o.kube = addMeshKubeFlags(f)
	groupClusterFlags(cmd)
	return cmd
}

// validate checks the flags that do not depend on the cluster.
func (o *meshOptions) validate() error {
	var errs []error
	for _, sc := range o.scenarios {
		if !slices.Contains(meshrecord.Scenarios, sc) {
			errs = append(errs, fmt.Errorf("--scenarios %s: a mesh measures %s", sc, strings.Join(meshrecord.Scenarios, " and ")))
		}
	}
	if len(o.scenarios) == 0 {
		errs = append(errs, fmt.Errorf("--scenarios: give node-node, pod-pod-cross or both"))
	}
	if o.run.kube.policies.changed {
		errs = append(errs, fmt.Errorf("--policies is a sweep of cnibench run: use cnibench run --cluster kube --policies, or drop it"))
	}
	if p := engine.Protocol(strings.ToLower(o.protocol)); p != engine.TCP && p != engine.UDP {
		errs = append(errs, fmt.Errorf("--protocol %s: use tcp or udp", o.protocol))
	}
	if o.streams < 1 || o.streams > 128 {
		errs = append(errs, fmt.Errorf("--streams %d: use 1 to 128", o.streams))
	}
	if o.run.repeats < 1 {
		errs = append(errs, fmt.Errorf("--repeats %d: use 1 or more", o.run.repeats))
	}
	if o.samplePairs < 0 {
		errs = append(errs, fmt.Errorf("--sample-pairs %d: use 1 or more, or 0 for every pair", o.samplePairs))
	}
	if d := time.Duration(o.run.duration); d < time.Second {
		errs = append(errs, fmt.Errorf("--duration %v: use 1s or more", d))
	}
	if o.run.omit < 0 {
		errs = append(errs, fmt.Errorf("--omit %v: use 0 or more", time.Duration(o.run.omit)))
	}
	return errors.Join(errs...)
}

// spec is each test's engine spec.
func (o *meshOptions) spec() engine.Spec {
	p := engine.Protocol(strings.ToLower(o.protocol))
	sp := engine.Spec{Protocol: p, Streams: o.streams, Duration: time.Duration(o.run.duration), Omit: time.Duration(o.run.omit),
		Interval: -1, ConnectTimeout: 5 * time.Second}
	if p == engine.UDP {
		sp.Rate = bench.DefaultUDPRate
	}
	return sp
}

// newRecord starts the mesh's record for nodes: its plan and rounds.
func (o *meshOptions) newRecord(s Streams, id string, nodes []meshrecord.Node) (*meshrecord.Mesh, error) {
	m := meshrecord.New(id, commandLine(s.Args))
	m.Nodes = nodes
	m.Plan = meshrecord.Plan{Scenarios: o.scenarios, Protocol: strings.ToLower(o.protocol), Streams: o.streams,
		Duration: meshrecord.Seconds(time.Duration(o.run.duration).Seconds()), Omit: meshrecord.Seconds(time.Duration(o.run.omit).Seconds()),
		Repeats: o.run.repeats, SamplePairs: o.samplePairs, Seed: o.run.seed}
	for m.Plan.Seed == 0 {
		m.Plan.Seed = rand.Uint64()
	}
	var rounds []mesh.Round
	var err error
	if o.samplePairs > 0 {
		rounds, err = mesh.Sample(len(nodes), o.samplePairs, rand.New(rand.NewPCG(m.Plan.Seed, 0x6d657368)))
		if err != nil {
			err = fmt.Errorf("--sample-pairs: %w", err)
		}
	} else {
		rounds, err = mesh.Rounds(len(nodes))
	}
	if err != nil {
		return nil, err
	}
	for _, r := range rounds {
		var pairs [][2]int
		for _, p := range r {
			pairs = append(pairs, [2]int{p.A, p.B})
		}
		m.Plan.Rounds = append(m.Plan.Rounds, pairs)
	}
	return m, nil
}

func runMesh(cmd *cobra.Command, s Streams, o meshOptions) error {
	format, err := meshreport.ParseFormat(o.run.output)
	if err != nil {
		return err
	}
	if o.run.cluster != "lab" && o.run.cluster != "kube" {
		return fmt.Errorf("unknown cluster %q: use lab or kube", o.run.cluster)
	}
	if err := checkClusterFlags(cmd.Flags(), o.run.cluster); err != nil {
		return err
	}
	o.run.timingDefaults(cmd.Flags())
	if err := o.validate(); err != nil {
		return err
	}
	if err := checkOutDir(o.run.outDir); err != nil {
		return err
	}
	id := runid.New()
	if o.run.cluster == "kube" {
		return meshKube(cmd, s, o, format, id)
	}
	return meshLab(cmd, s, o, format, id)
}

// measureMesh runs the record's plan on c and writes the reports. The
// record is saved to --out-dir after every step.
func measureMesh(ctx context.Context, s Streams, o meshOptions, format report.Format, c cluster.Cluster, nodes []meshrun.Node, m *meshrecord.Mesh) error {
	ev := &meshEvents{s: s, quiet: o.run.quiet}
	if o.run.outDir != "" {
		if err := os.MkdirAll(o.run.outDir, 0o755); err != nil {
			return err
		}
		ev.path = filepath.Join(o.run.outDir, "mesh.json")
	}
	if !o.run.quiet {
		fmt.Fprintf(s.Err, "mesh %s: %s\n", m.ID, m.Describe())
	}
	runErr := meshrun.Run(ctx, c, nodes, m, o.spec(), 0, ev)
	if len(m.Tests) == 0 && runErr != nil {
		return runErr
	}
	written, werr := meshreport.Write(m, format, s.Out, o.run.outDir)
	if !o.run.quiet {
		for _, p := range written {
			fmt.Fprintf(s.Err, "wrote %s\n", p)
		}
	}
	switch {
	case errors.Is(runErr, meshrun.ErrInterrupted):
		return &exitError{code: exitInterrupted, err: fmt.Errorf("%w: partial results, marked incomplete", runErr)}
	case runErr != nil || werr != nil:
		return errors.Join(runErr, werr)
	}
	failed := 0
	for _, t := range m.Tests {
		if t.Goodput == nil {
			failed++
		}
	}
	if failed > 0 {
		return &exitError{code: exitTestsFailed, err: fmt.Errorf("%d of %d tests failed: their errors are in mesh.json", failed, len(m.Tests))}
	}
	return nil
}

// meshEvents prints a line per step and saves the record after each.
type meshEvents struct {
	s       Streams
	quiet   bool
	path    string
	saveErr error
	started time.Time
}

func (e *meshEvents) StepStarted(i, total int, st meshrecord.Step, tests int) {
	e.started = time.Now()
	if !e.quiet {
		dir := "A→B"
		if st.Reverse {
			dir = "B→A"
		}
		fmt.Fprintf(e.s.Err, "step %d/%d: round %d %s, %s, repeat %d: %d tests in parallel", i+1, total, st.Round+1, dir, st.Scenario, st.Repeat+1, tests)
	}
}

func (e *meshEvents) StepFinished(i, total int, m *meshrecord.Mesh) {
	if !e.quiet {
		fmt.Fprintf(e.s.Err, " (%s)\n", time.Since(e.started).Round(100*time.Millisecond))
	}
	if e.path != "" && e.saveErr == nil {
		if err := meshrecord.WriteFile(e.path, m); err != nil {
			e.saveErr = err
			fmt.Fprintf(e.s.Err, "saving mesh.json after each step: %v (giving up; results are written at the end)\n", err)
		}
	}
}
