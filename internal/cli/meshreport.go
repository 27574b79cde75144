package cli

import (
	"fmt"
	"os"

	"github.com/cnibench/cnibench/internal/meshrecord"
	"github.com/cnibench/cnibench/internal/meshreport"
	"github.com/cnibench/cnibench/internal/report"
	"github.com/spf13/cobra"
)

// compareMeshes compares two mesh records when compare's first file is
// one (done is false for run records, which compare handles itself).
func compareMeshes(s Streams, cmd *cobra.Command, args []string, output string) (done bool, err error) {
	b, err := os.ReadFile(args[0])
	if err != nil || !meshrecord.IsMesh(b) {
		return false, nil // compare's own reading says what is wrong
	}
	if len(args) != 2 || cmd.ArgsLenAtDash() >= 0 {
		return true, fmt.Errorf("compare of meshes takes OLD.json NEW.json, one mesh a side")
	}
	for _, fl := range []string{"fail-on-regression", latencyGateFlag} {
		if cmd.Flags().Changed(fl) {
			return true, fmt.Errorf("--%s gates runs, not meshes: drop it (a mesh comparison lists each pair's change)", fl)
		}
	}
	format, err := report.ParseFormat(output)
	if err != nil {
		return true, err
	}
	var ms [2]*meshrecord.Mesh
	for i, path := range args {
		m, err := meshrecord.ReadFile(path)
		if err != nil {
			return true, fmt.Errorf("%w (a mesh is compared with another mesh, not with a run)", err)
		}
		ms[i] = m
	}
	return true, meshreport.WriteComparison(s.Out, meshreport.Compare(ms[0], ms[1]), format)
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
