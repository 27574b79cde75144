package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cnibench/cnibench/internal/report"
	"github.com/spf13/cobra"
)

// Exit statuses of `cnibench compare --fail-on-regression` besides 0 (no
// regression) and 1 (bad arguments or files).
const (
	exitRegression  = 3 // a regression: a fall beyond the threshold, or a scenario that stopped working
	exitCannotJudge = 4 // the gate cannot decide (too few samples, nothing in common, the baseline moved): never a pass
)

// compareOptions are the flags of `cnibench compare`.
type compareOptions struct {
	output           string
	failOnRegression float64
	failOnLatency    float64 // --fail-on-latency-regression (comparelatency.go)
}

func newCompareCommand(s Streams) *cobra.Command {
	var f compareOptions
	cmd := &cobra.Command{
		Use:   "compare OLD.json NEW.json | OLD.json... -- NEW.json...",
		Short: "Compare saved runs: what changed, by how much, and whether it is real",
		Long: `Compare run records scenario by scenario. Goodput is compared as a share of
its baseline (node-node, or node-node-same for same-node scenarios) measured
in the same round of the same run, so host drift that moves every row
cancels: the change is new / old − 1 of that share,
with a 95% interval from a hierarchical bootstrap (runs, then repeats within a
run). The change is always shown; "*" marks one whose interval excludes 0.

Give several runs per side, separated by "--" (files or quoted globs):
  cnibench compare a1.json a2.json a3.json -- b1.json b2.json b3.json
With one run per side, run-to-run variation cannot be separated from a change;
compare says so.

When both sides ran latency tests (run --tests rr,...), a latency section
follows: per test and scenario, p50 and p99 old → new, the change as a
ratio with its 95% interval ("*" when it excludes ×1.00) and a verdict.

Scenarios match on scenario, protocol and streams; when each run has a single
variant (e.g. one --datapath routed, the other --datapath vxlan) the variants
need not match, so two configurations compare directly.

With --fail-on-regression PCT, compare exits with status 3 when a scenario's
normalised goodput fell by more than PCT percent at the bound of its interval
(a one-sided test against the threshold, Holm-corrected over the rows), or a
scenario that worked in the old runs failed in the new ones: a gate for CI.
A gate that cannot decide fails too, with status 4 and the reason: a
scenario with too few samples for an interval (raise --repeats), no
scenario besides the baseline in common, a scenario missing from the new
runs, or a baseline that itself moved beyond PCT (the hosts differ, so
shares of it cannot be compared).

With --fail-on-latency-regression PCT, compare exits with status 3 too when a
latency test's p50 or p99 rose by more than PCT percent (one-sided bootstrap,
Holm-corrected over every latency figure), or a latency test that worked in
the old runs failed in every new one; the latency section marks them.

Two mesh records (cnibench mesh) compare node by node and pair by pair,
matched by node names, in the same formats: each figure old → new, its
change with a 95% interval and a verdict, and the outliers that appeared or
vanished. --fail-on-regression gates them as it gates runs (status 3 or 4);
a mesh's goodput is compared as measured (it has no same-round baseline).`,
		Example: `  # IPIP/VXLAN on vs off, measured as two runs
  cnibench compare routed.json vxlan.json

  # before vs after a CNI upgrade, three runs each, failing CI on a fall beyond 5%
  cnibench compare 'before-*.json' -- 'after-*.json' --fail-on-regression 5

  # for a pull request comment
  cnibench compare before.json after.json -o markdown`,
		Args: func(cmd *cobra.Command, args []string) error {
			if dash := cmd.ArgsLenAtDash(); dash >= 0 {
				if dash == 0 || dash == len(args) {
					return fmt.Errorf("compare OLD... -- NEW...: want at least one run before and one after \"--\", got %d and %d", dash, len(args)-dash)
				}
				return nil
			}
			if len(args) != 2 {
				return fmt.Errorf("compare takes OLD.json NEW.json, or several runs a side as OLD... -- NEW...; got %d argument(s)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if done, err := compareMeshes(s, cmd, args, f); done {
				return err
			}
			format, err := report.ParseFormat(f.output)
			if err != nil {
				return err
			}
			if !slices.Contains(report.CompareFormats, format) {
				return fmt.Errorf("output format %q is not available for comparisons: use one of %s", format, report.FormatNames(report.CompareFormats))
			}
			o := report.CompareFilesOptions{Format: format, Out: s.Out}
			if cmd.Flags().Changed("fail-on-regression") {
				if f.failOnRegression < 0 {
					return fmt.Errorf("--fail-on-regression %g: want a percentage ≥ 0", f.failOnRegression)
				}
				o.RegressionPct = &f.failOnRegression
			}
			latencyGated := cmd.Flags().Changed(latencyGateFlag)
			if latencyGated {
				if err := checkLatencyGateFlag(f.failOnLatency); err != nil {
					return err
				}
				o.LatencyRegressionPct = &f.failOnLatency
			}
			oldArgs, newArgs := args[:1], args[1:]
			if dash := cmd.ArgsLenAtDash(); dash >= 0 {
				oldArgs, newArgs = args[:dash], args[dash:]
			}
			oldFiles, err := report.ExpandRunFiles(oldArgs)
			if err != nil {
				return err
			}
			newFiles, err := report.ExpandRunFiles(newArgs)
			if err != nil {
				return err
			}
			c, err := report.CompareFiles(oldFiles, newFiles, o)
			if err != nil {
				return err
			}
			gateErr := gateStatus(c, f.failOnRegression)
			if latencyGated {
				regs, err := latencyGate(c, f.failOnLatency)
				if err != nil {
					return err
				}
				if regs != nil { // a regression (3) wins over "cannot decide" (4)
					var prior *exitError
					if errors.As(gateErr, &prior) {
						regs = errors.Join(prior.err, regs)
					}
					return &exitError{code: exitRegression, err: regs}
				}
			}
			return gateErr
		},
	}
	cmd.Flags().StringVarP(&f.output, "output", "o", string(report.Table), "output format: "+report.FormatNames(report.CompareFormats))
	cmd.Flags().Float64Var(&f.failOnRegression, "fail-on-regression", 0, "exit with status 3 when normalised goodput fell by more than this many percent at its interval's bound, 4 when that cannot be decided")
	cmd.Flags().Float64Var(&f.failOnLatency, latencyGateFlag, 0, "exit with status 3 when a latency test's p50 or p99 rose by more than this many percent (significantly, Holm-corrected)")
	return cmd
}

// gateStatus is the gate's decision as the command's error: status 3 for
// regressions, 4 when it cannot decide (with every reason), nil to pass.
func gateStatus(c *report.Comparison, pct float64) error {
	regs := c.Regressions()
	var undecided error
	if len(c.CannotJudge) > 0 {
		undecided = fmt.Errorf("--fail-on-regression %g cannot decide:\n  %s", pct, strings.Join(c.CannotJudge, "\n  "))
	}
	switch {
	case len(regs) > 0:
		return &exitError{code: exitRegression, err: errors.Join(regressionError(regs, pct), undecided)}
	case undecided != nil:
		return &exitError{code: exitCannotJudge, err: undecided}
	}
	return nil
}

func regressionError(regs []report.CompareRow, pct float64) error {
	var what []string
	for _, r := range regs {
		if r.Delta != nil {
			what = append(what, fmt.Sprintf("%s %+.1f%%", r.Label(), r.Delta.Change*100))
		} else {
			what = append(what, r.Label()+" failed")
		}
	}
	return fmt.Errorf("%d regression(s) beyond %g%% (interval bound, Holm-corrected): %s", len(regs), pct, strings.Join(what, ", "))
}
