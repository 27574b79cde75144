package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cnibench/cnibench/internal/report"
	"github.com/spf13/cobra"
)

// exitRegression is the exit status of `cnibench compare --fail-on-regression`
// when it finds one.
const exitRegression = 3

// compareOptions are the flags of `cnibench compare`.
type compareOptions struct {
	output           string
	failOnRegression float64
}

func newCompareCommand(s Streams) *cobra.Command {
	var f compareOptions
	cmd := &cobra.Command{
		Use:   "compare OLD.json NEW.json",
		Short: "Compare two saved runs: what changed, by how much, and whether it is real",
		Long: `Compare two run records scenario by scenario: both medians, the change in
percent with its bootstrap 95% confidence interval, and the Mann-Whitney
p-value. As in benchstat, a change is printed only when it is significant
(p < 0.05); otherwise the change column says "~": the data cannot tell.

Scenarios match on scenario, protocol and streams; when each run has a single
variant (e.g. one --datapath routed, the other --datapath vxlan) the variants
need not match, so two configurations compare directly.

With --fail-on-regression PCT, compare exits with status 3 when any
scenario's goodput fell significantly by more than PCT percent, or a scenario
that worked in the old run failed in the new one: a gate for CI.`,
		Example: `  # IPIP/VXLAN on vs off, measured as two runs
  cnibench compare routed.json vxlan.json

  # before vs after a CNI upgrade, failing CI on a significant fall of more than 5%
  cnibench compare before.json after.json --fail-on-regression 5

  # for a pull request comment
  cnibench compare before.json after.json -o markdown`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
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
			c, err := report.CompareFiles(args[0], args[1], o)
			if err != nil {
				return err
			}
			if regs := c.Regressions(); len(regs) > 0 {
				return &exitError{code: exitRegression, err: regressionError(regs, f.failOnRegression)}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&f.output, "output", "o", string(report.Table), "output format: "+report.FormatNames(report.CompareFormats))
	cmd.Flags().Float64Var(&f.failOnRegression, "fail-on-regression", 0, "exit with status 3 when goodput fell significantly by more than this many percent")
	return cmd
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
	return fmt.Errorf("%d regression(s) beyond %g%%: %s", len(regs), pct, strings.Join(what, ", "))
}
