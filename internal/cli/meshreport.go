package cli

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/cnibench/cnibench/internal/meshrecord"
	"github.com/cnibench/cnibench/internal/meshreport"
	"github.com/cnibench/cnibench/internal/report"
	"github.com/spf13/cobra"
)

// compareMeshes compares two mesh records when compare's first file is
// one (done is false for run records, which compare handles itself). With
// --fail-on-regression it gates as for runs: status 3 for a regression,
// 4 when it cannot decide.
func compareMeshes(s Streams, cmd *cobra.Command, args []string, f compareOptions) (done bool, err error) {
	b, err := os.ReadFile(args[0])
	if err != nil || !meshrecord.IsMesh(b) {
		return false, nil // compare's own reading says what is wrong
	}
	if len(args) != 2 || cmd.ArgsLenAtDash() >= 0 {
		return true, fmt.Errorf("compare of meshes takes OLD.json NEW.json, one mesh a side")
	}
	if cmd.Flags().Changed(latencyGateFlag) {
		return true, fmt.Errorf("--%s gates runs' latency tests; a mesh has none: drop it", latencyGateFlag)
	}
	format, err := report.ParseFormat(f.output)
	if err != nil {
		return true, err
	}
	if !slices.Contains(meshreport.CompareFormats, format) {
		return true, fmt.Errorf("output format %q is not available for comparisons: use one of %s", format, report.FormatNames(meshreport.CompareFormats))
	}
	var o meshreport.CompareOptions
	if cmd.Flags().Changed("fail-on-regression") {
		if f.failOnRegression < 0 {
			return true, fmt.Errorf("--fail-on-regression %g: want a percentage ≥ 0", f.failOnRegression)
		}
		o.RegressionPct = &f.failOnRegression
	}
	var ms [2]*meshrecord.Mesh
	for i, path := range args {
		m, err := meshrecord.ReadFile(path)
		if err != nil {
			return true, fmt.Errorf("%w (a mesh is compared with another mesh, not with a run)", err)
		}
		ms[i] = m
	}
	c := meshreport.Compare(ms[0], ms[1], o)
	if err := meshreport.WriteComparison(s.Out, c, format); err != nil {
		return true, err
	}
	if o.RegressionPct == nil {
		return true, nil
	}
	return true, meshGateStatus(c, f.failOnRegression)
}

// meshGateStatus is the mesh gate's decision as the command's error, with
// compare's exit statuses for runs.
func meshGateStatus(c *meshreport.Comparison, pct float64) error {
	var undecided error
	if len(c.CannotJudge) > 0 {
		undecided = fmt.Errorf("--fail-on-regression %g cannot decide:\n  %s", pct, strings.Join(c.CannotJudge, "\n  "))
	}
	if regs := c.Regressions(); len(regs) > 0 {
		shown := regs
		if len(shown) > 10 {
			shown = append(slices.Clip(shown[:10]), fmt.Sprintf("… %d more (the output lists every one)", len(regs)-10))
		}
		err := fmt.Errorf("%d regression(s) beyond %g%% (interval bound, Holm-corrected): %s", len(regs), pct, strings.Join(shown, ", "))
		return &exitError{code: exitRegression, err: errors.Join(err, undecided)}
	}
	if undecided != nil {
		return &exitError{code: exitCannotJudge, err: undecided}
	}
	return nil
}

// reportMesh renders a mesh record when report's file is one (done is
// false for run records).
func reportMesh(s Streams, cmd *cobra.Command, path, output, outDir string) (done bool, err error) {
	b, err := os.ReadFile(path)
	if err != nil || !meshrecord.IsMesh(b) {
		return false, nil
	}
	if cmd.Flags().Changed("push") {
		return true, fmt.Errorf("--push sends runs' metrics; a mesh has none: drop --push")
	}
	format, err := meshreport.ParseFormat(output)
	if err != nil {
		return true, err
	}
	m, err := meshrecord.ReadFile(path)
	if err != nil {
		return true, err
	}
	written, err := meshreport.Write(m, format, s.Out, outDir)
	for _, p := range written {
		fmt.Fprintf(s.Err, "wrote %s\n", p)
	}
	return true, err
}
