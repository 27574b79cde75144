package cli

import (
	"fmt"

	"github.com/cnibench/cnibench/internal/report"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/spf13/cobra"
)

// reportOptions are the flags of `cnibench report`.
type reportOptions struct {
	output string
	outDir string
	push   *pushOptions
}

func newReportCommand(s Streams) *cobra.Command {
	var f reportOptions
	cmd := &cobra.Command{
		Use:   "report RUN.json|MESH.json",
		Short: "Render a saved run as a table, JSON, CSV, Markdown, one HTML page or OpenMetrics; push it to Prometheus",
		Long: `Render the run record that 'cnibench run' wrote, in any output format, at
any time later: every figure comes from the record, nothing is measured again.
The HTML page is one self-contained file (charts as inline SVG, no scripts or
external resources) to open in a browser or attach to a ticket.`,
		Example: `  # the terminal table of a saved run
  cnibench report run.json

  # paste into a GitHub issue
  cnibench report run.json -o markdown

  # one page with charts
  cnibench report run.json -o html > run.html

  # every format at once: report/run.{txt,json,csv,md,html,om}
  cnibench report run.json --out-dir report

  # the run as Prometheus metrics: OpenMetrics text, or pushed (docs/metrics.md)
  cnibench report run.json -o openmetrics > run.om
  cnibench report run.json --push http://pushgateway:9091`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if done, err := reportMesh(s, cmd, args[0], f.output, f.outDir); done {
				return err
			}
			format, err := report.ParseFormat(f.output)
			if err != nil {
				return err
			}
			if err := f.push.check(); err != nil {
				return err
			}
			run, err := runrecord.ReadFile(args[0])
			if err != nil {
				return err
			}
			written, err := report.Write(run, report.Options{Format: format, Out: s.Out, OutDir: f.outDir})
			for _, p := range written {
				fmt.Fprintf(s.Err, "wrote %s\n", p)
			}
			if err != nil {
				return err
			}
			return f.push.push(cmd.Context(), s, run, args[0], false)
		},
	}
	cmd.Flags().StringVarP(&f.output, "output", "o", string(report.Table), "output format: "+report.FormatNames(report.Formats))
	cmd.Flags().StringVar(&f.outDir, "out-dir", "", "also write every format into this directory (created when missing)")
	f.push = addPushFlags(cmd.Flags())
	return cmd
}
