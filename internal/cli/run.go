package cli

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/units"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/report"
	"github.com/cnibench/cnibench/internal/runid"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"
)

// Exit statuses of `cnibench run` besides 0 (every test measured) and 1
// (the run could not start or went wrong).
const (
	exitTestsFailed = 2   // the run finished but some tests failed: see the report's notes
	exitInterrupted = 130 // Ctrl-C: partial results were written, marked incomplete
)

// runOptions are the flags of `cnibench run`.
type runOptions struct {
	scenarios []string
	protocols []string
	streams   *sweepValue
	duration  secondsValue
	omit      secondsValue
	repeats   int
	nodes     []string
	udpRate   string
	msgSize   *sweepValue
	mss       *sweepValue
	kneeDrop  string
	discard   bool
	rttProbes int
	order     string
	seed      uint64
	// ipFamilies are --ip-family's values: each family a variant (ipfamily.go).
	ipFamilies []string

	cluster string
	dryRun  bool
	output  string
	outDir  string
	quiet   bool
	verbose bool

	lab  *labRunOptions // --cluster lab
	kube *kubeOptions   // --cluster kube
	push *pushOptions
	lat  *latencyRunOptions // --tests, --latency-duration (runlatency.go)
	udp  *udpMaxOptions     // --tests udp-max (udpmax.go)

	resume   string // --resume DIR/run.json (resume.go)
	planFile string // -f plan.yaml (planfile.go)
	from     string // --from run.json: repeat a recorded run (planfile.go)

	flags *pflag.FlagSet // to tell a flag given from its default
}

// expandAll turns --scenarios all into every scenario of the table.
func expandAll(names []string) []string {
	if len(names) == 1 && names[0] == "all" {
		return bench.ScenarioNames()
	}
	return names
}

// plan turns the flags into a validated plan.
func (o runOptions) plan() (bench.Plan, error) {
	p := bench.Plan{
		Scenarios: expandAll(o.scenarios), Duration: time.Duration(o.duration), Omit: time.Duration(o.omit),
		Repeats: o.repeats, Nodes: o.nodes, Order: bench.Order(o.order), UDPRate: bench.DefaultUDPRate, Port: engine.DefaultPort,
		Protocols: []engine.Protocol{}, Seed: o.seed, RealCluster: o.cluster == "kube", Discard: o.discard,
	}
	for p.Seed == 0 { // a fresh order per run, recorded in run.json (plan.seed) so --seed repeats it
		p.Seed = rand.Uint64()
	}
	for _, pr := range o.protocols {
		p.Protocols = append(p.Protocols, engine.Protocol(strings.ToLower(pr)))
	}
	var errs []error
	if o.udpRate != "" {
		r, err := units.ParseRate(o.udpRate)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("--udp-rate: %w", err))
		case r == 0:
			errs = append(errs, fmt.Errorf("--udp-rate 0: give a rate like 500M; an unlimited UDP sender measures its own CPU, not the network"))
		}
		p.UDPRate = r
	}
	switch {
	case o.rttProbes < 0:
		errs = append(errs, fmt.Errorf("--rtt-probes %d: use 0 (none) to %d", o.rttProbes, bench.MaxRTTProbes))
	case o.rttProbes == 0:
		p.RTTProbes = -1 // none
	default:
		p.RTTProbes = o.rttProbes
	}
	var err error
	if p.Streams, err = o.streams.ints("--streams"); err != nil {
		errs = append(errs, err)
	}
	msgSizes, mss, err := o.knobLists()
	if err != nil {
		errs = append(errs, err)
	}
	if len(msgSizes) == 1 {
		p.MsgSize = msgSizes[0]
	}
	if len(mss) == 1 {
		p.MSS = mss[0]
	}
	errs = append(errs, checkKnobs(p, msgSizes, mss)...)
	if _, err := parseFamilies(o.ipFamilies); err != nil {
		errs = append(errs, err)
	}
	if p.KneeDrop, err = parsePercent("--knee-drop", o.kneeDrop); err != nil {
		errs = append(errs, err)
	}
	if o.lat != nil {
		if err := o.lat.apply(o.flags, &p, o.kube.serverImageOf()); err != nil {
			errs = append(errs, err)
		}
	}
	if o.udp != nil {
		if err := o.udp.apply(&p); err != nil {
			errs = append(errs, err)
		}
	}
	// Every field comes from a flag with its default: validate as given,
	// so "--repeats 0" is an error rather than the default.
	if err := p.Validate(); err != nil {
		errs = append(errs, err)
	}
	return p, errors.Join(errs...)
}

func newRunCommand(s Streams) *cobra.Command {
	o := runOptions{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Measure the pod network against the bare nodes: every scenario, repeated, with statistics",
		Long: `Run the scenario matrix (node-node baseline, pod-node, node-pod, pod-pod-cross,
node-node-same baseline, pod-pod-same, pod-clusterip, pod-nodeport, pod-hairpin;
on request: pod-nodeport-remote, node-external baseline, pod-external) × protocols
× streams, each test repeated, in an order that spreads drift over every
scenario, and report each scenario's median goodput, its 95% confidence
interval and its overhead against the bare path over the same resources,
measured in the same run: node-node, node-node-same (two host processes on
the client's node) for the same-node scenarios, or node-external for those out
of the cluster.

The cluster is the built-in lab (network namespaces on this machine; without
root cnibench runs it in a user namespace of its own), or with --cluster kube
the Kubernetes cluster of your kubeconfig (kubectl's connection flags; pods
in a namespace of the run's own, or with -n in one you were given, deleted
at the end: docs/kube.md). Every lab flag takes a
list: the matrix then runs once per value, each on its own lab, so
"--datapath routed,vxlan" answers "what does encapsulation cost" in one run.

Progress goes to stderr, results to stdout. Exit status: 0 every test
measured; 1 the run could not start; 2 some tests failed (they are in the
report with their errors); 130 interrupted (partial results written, marked
incomplete). docs/run.md explains the defaults and how to read the table.`,
		Example: `  # the seed's experiment on the lab: about a minute
  cnibench run

  # encapsulation on and off, TCP and UDP
  cnibench run --datapath routed,vxlan --protocol tcp,udp

  # a run to base a decision on: longer tests, more repeats, every format
  cnibench run --duration 5s --omit 1s --repeats 10 --out-dir results

  # the same on your Kubernetes cluster (image: cnibench image build)
  cnibench run --cluster kube --nodes worker-1,worker-2

  # what would run, without running it
  cnibench run --datapath routed,vxlan --streams 1,4 --dry-run

  # the plan a CI pipeline keeps in its repository; then repeat a run
  cnibench run -f plan.yaml --out-dir results
  cnibench run --from results/run.json --out-dir again`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.applyPlanSources(cmd.Flags()); err != nil {
				return err
			}
			if o.resume != "" {
				return resumeRun(cmd, s, o)
			}
			return runRun(cmd, s, o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.scenarios, "scenarios", nil, "scenarios to run, or all (default: those the cluster supports of every one but "+strings.Join(bench.OnRequestNames(), ", ")+"): "+strings.Join(bench.ScenarioNames(), ","))
	f.StringSliceVar(&o.protocols, "protocol", []string{"tcp"}, "protocols: tcp, udp or tcp,udp")
	o.streams, o.msgSize, o.mss = newSweepValue(plainInt, "1"), newSweepValue(parseSize), newSweepValue(plainInt)
	f.Var(o.streams, "streams", "parallel streams per test: "+sweepSyntax)
	addTimingFlags(f, &o)
	f.IntVar(&o.repeats, "repeats", bench.DefaultRepeats, "samples of every scenario (6 or more for an exact 95% interval of the median, 4 or more for the significance test)")
	f.StringSliceVar(&o.nodes, "nodes", nil, "the node pair: client side A, server side B (default: the first two nodes)")
	f.StringVar(&o.udpRate, "udp-rate", "", "target rate per stream of UDP tests, like 500M or 500mbit (tc's mbps = megaBYTES/s) (default "+units.FormatRate(bench.DefaultUDPRate)+")")
	f.IntVar(&o.rttProbes, "rtt-probes", bench.DefaultRTTProbes, "TCP handshakes timed before each test: the path's idle round-trip time (0 = none)")
	f.Var(o.msgSize, "msg-size", "bytes per write (TCP) or datagram (UDP), K/M suffix (default: 1M for TCP, the path's MSS for UDP); a sweep: "+sweepSyntax)
	f.StringVar(&o.kneeDrop, "knee-drop", "20%", "a sweep's knee: the first value whose median goodput falls this much below the previous (or first) value's, significantly")
	f.Var(o.mss, "mss", "TCP tests' maximum segment size (TCP_MAXSEG, iperf3's -M) in bytes (default: the path's); a sweep: "+sweepSyntax)
	f.BoolVar(&o.discard, "discard", false, "TCP throughput tests' receivers drop the bytes in the kernel, unread: the network without the copy every application pays; every report says so (docs/performance.md)")
	f.StringSliceVar(&o.ipFamilies, "ip-family", []string{"4"}, ipFamilyHelp)
	f.StringVar(&o.order, "order", string(bench.DefaultOrder), "interleaved (one repeat of every scenario per round) or sequential")
	f.Uint64Var(&o.seed, "seed", 0, "seed of the random order within each round (default: a new one per run, recorded in run.json)")
	f.StringVar(&o.cluster, "cluster", "lab", "where to measure: lab, or kube (the cluster of your kubeconfig; see docs/kube.md)")
	f.BoolVar(&o.dryRun, "dry-run", false, "list every test of the plan and exit")
	f.StringVarP(&o.output, "output", "o", string(report.Table), "output format on stdout: "+report.FormatNames(report.Formats))
	f.StringVar(&o.outDir, "out-dir", "", "also write run.json and every format into this directory (run.json is saved after every test)")
	f.StringVar(&o.resume, "resume", "", "finish the killed run recorded in DIR/run.json: its plan, without the tests it has (docs/reliability.md)")
	f.StringVarP(&o.planFile, "filename", "f", "", "read the run's settings from this plan file (YAML, keys are these flags' names); flags given override it (docs/run.md)")
	f.StringVar(&o.from, "from", "", "repeat the run recorded in this run.json: its plan, its seed; flags given override it")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress on stderr")
	f.BoolVarP(&o.verbose, "verbose", "V", false, "log the lab's steps to stderr")
	o.lab = addLabRunFlags(f)
	o.kube = addKubeFlags(f)
	o.push = addPushFlags(f)
	o.lat = addLatencyRunFlags(f)
	o.udp = addUDPMaxFlags(f)
	o.flags = f
	groupClusterFlags(cmd)
	return cmd
}

func runRun(cmd *cobra.Command, s Streams, o runOptions) error {
	format, err := report.ParseFormat(o.output)
	if err != nil {
		return err
	}
	switch o.cluster {
	case "lab":
	case "kube":
	default:
		return fmt.Errorf("unknown cluster %q: use lab or kube", o.cluster)
	}
	if err := checkClusterFlags(cmd.Flags(), o.cluster); err != nil {
		return err
	}
	o.timingDefaults(cmd.Flags())
	if err := o.push.check(); err != nil {
		return err
	}
	if o.push.url != "" && o.outDir == "" && format != report.JSON {
		return fmt.Errorf("--push needs the run record kept in case the push fails: add --out-dir DIR (or -o json)")
	}
	plan, err := o.plan()
	if err != nil {
		return err
	}
	if err := checkOutDir(outDirOf(cmd, o)); err != nil {
		return err
	}
	runID := runid.New()
	if o.cluster == "kube" {
		return runKube(cmd, s, o, format, plan, runID)
	}
	return runLab(cmd, s, o, format, plan, runID)
}

// outDirOf is where the run writes: the record's directory when resuming.
func outDirOf(cmd *cobra.Command, o runOptions) string {
	if res := resumedRun(cmd.Context()); res != nil {
		return res.dir
	}
	return o.outDir
}

// measure runs the plan on the variants and reports it.
func measure(cmd *cobra.Command, s Streams, o runOptions, format report.Format, plan bench.Plan, runID string, vs []bench.Variant) error {
	res := resumedRun(cmd.Context())
	if res != nil {
		o.outDir = res.dir
	}
	ev := &runEvents{outDir: o.outDir, err: s}
	if !o.quiet {
		ev.printer = newPrinter(s.Err, isTerminal(s.Err))
	}
	if o.outDir != "" {
		if err := os.MkdirAll(o.outDir, 0o755); err != nil {
			return err
		}
	}
	if !o.quiet {
		bench.WritePlan(s.Err, planOf(plan, vs))
	}
	run, runErr := bench.RunVariants(cmd.Context(), vs, plan, bench.Options{
		ID: runID, CommandLine: commandLine(s.Args), Events: ev, Resume: res.record(),
		PlanFile: recordedPlan(cmd.Flags(), o.cluster, plan.Seed),
	})
	ev.close()
	if run == nil || runErr != nil && !errors.Is(runErr, bench.ErrInterrupted) && len(run.Samples)+len(run.LatencySamples) == 0 {
		return runErr // nothing measured: no table to show
	}
	written, werr := report.Write(run, report.Options{Format: format, Out: s.Out, OutDir: o.outDir})
	if !o.quiet {
		for _, p := range written {
			fmt.Fprintf(s.Err, "wrote %s\n", p)
		}
	}
	if werr == nil && !errors.Is(runErr, bench.ErrInterrupted) { // the record is written first: a failed push loses nothing
		werr = o.push.push(cmd.Context(), s, run, recordPath(o.outDir), o.quiet)
	}
	return runStatus(run, runErr, werr)
}

// runStatus turns a finished (or interrupted) run into the command's
// error and exit status: 130 interrupted, 1 the run or its report went
// wrong, 2 some tests failed, nil every test measured.
func runStatus(run *runrecord.Run, runErr, writeErr error) error {
	switch {
	case errors.Is(runErr, bench.ErrInterrupted):
		return &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted after %d tests: partial results, marked incomplete", len(run.Samples)+len(run.LatencySamples))}
	case runErr != nil:
		return errors.Join(runErr, writeErr)
	case writeErr != nil:
		return writeErr
	}
	if n := run.FailedSamples() + run.FailedLatencySamples() + run.FailedUDPMax(); n > 0 {
		return &exitError{code: exitTestsFailed, err: fmt.Errorf("%d of %d tests failed: their errors are in the report", n, len(run.Samples)+len(run.LatencySamples)+len(run.UDPMax))}
	}
	return nil
}

// recordPath is where a run's record is written, "" for stdout.
func recordPath(outDir string) string {
	if outDir == "" {
		return ""
	}
	return filepath.Join(outDir, "run.json")
}

// commandLine is how the run was invoked, "cnibench" first.
func commandLine(args []string) []string {
	return append([]string{"cnibench"}, args...)
}

// runEvents shows progress (unless --quiet) and saves run.json after
// every test when there is an --out-dir, so even a killed run leaves its
// samples behind.
type runEvents struct {
	printer *printer
	outDir  string
	err     Streams
	saveErr error
}

func (e *runEvents) Note(msg string) {
	if e.printer != nil {
		e.printer.Note(msg)
	}
}

func (e *runEvents) TestStarted(p bench.Progress) {
	if e.printer != nil {
		e.printer.TestStarted(p)
	}
}

func (e *runEvents) TestInterval(p bench.Progress, iv engine.Interval) {
	if e.printer != nil {
		e.printer.TestInterval(p, iv)
	}
}

func (e *runEvents) TestFinished(p bench.Progress) {
	if e.printer != nil {
		e.printer.TestFinished(p)
	}
	if e.outDir != "" && e.saveErr == nil {
		if err := runrecord.WriteFile(e.outDir+"/run.json", p.Run); err != nil {
			e.saveErr = err
			e.Note(fmt.Sprintf("saving run.json after each test: %v (giving up; results are written at the end)", err))
		}
	}
}

func (e *runEvents) close() {
	if e.printer != nil {
		e.printer.Close()
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// secondsValue is a duration flag that also takes plain seconds ("2").
type secondsValue time.Duration

func (v *secondsValue) String() string { return time.Duration(*v).String() }
func (v *secondsValue) Type() string   { return "duration" }

func (v *secondsValue) Set(s string) error {
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		*v = secondsValue(seconds(n))
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration: use seconds like 2 or a duration like 2s or 1m", s)
	}
	*v = secondsValue(d)
	return nil
}
