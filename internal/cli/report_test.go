package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/runrecord/runrecordtest"
	"github.com/spf13/cobra"
)

// runCommand executes cmd with args and returns its stdout, stderr and error.
func runCommand(t *testing.T, build func(Streams) *cobra.Command, args ...string) (string, string, error) {
	t.Helper()
	var out, errw bytes.Buffer
	cmd := build(Streams{In: strings.NewReader(""), Out: &out, Err: &errw})
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errw)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), errw.String(), err
}

// writeRun writes a fixture run to dir/name and returns its path.
func writeRun(t *testing.T, dir, name string, o runrecordtest.Options) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := runrecord.WriteFile(path, runrecordtest.Build(o)); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	run := writeRun(t, dir, "run.json", runrecordtest.Options{})
	tests := []struct {
		name    string
		args    []string
		wantOut string // substring of stdout
		wantErr string
	}{
		{"default table", []string{run}, "OVERHEAD", ""},
		{"wide table", []string{run, "-o", "wide"}, "CPU S/R", ""},
		{"markdown", []string{run, "-o", "markdown"}, "| SCENARIO | N |", ""},
		{"md alias", []string{run, "-o", "md"}, "| SCENARIO | N |", ""},
		{"csv", []string{run, "-o", "csv"}, "record,variant,scenario,", ""},
		{"json", []string{run, "--output", "json"}, `"schema_version": "cnibench.run/v1"`, ""},
		{"html", []string{run, "-o", "html"}, "<!DOCTYPE html>", ""},
		{"unknown format", []string{run, "-o", "xml"}, "", `unknown output format "xml"`},
		{"missing file", []string{filepath.Join(dir, "nope.json")}, "", "no such file"},
		{"no argument", nil, "", "accepts 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := runCommand(t, newReportCommand, tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(out, tt.wantOut) {
				t.Fatalf("error %v, stdout lacks %q:\n%.500s", err, tt.wantOut, out)
			}
		})
	}
}

func TestReportCommandOutDir(t *testing.T) {
	dir := t.TempDir()
	run := writeRun(t, dir, "run.json", runrecordtest.Options{Repeats: 3})
	outDir := filepath.Join(dir, "report")
	out, errs, err := runCommand(t, newReportCommand, run, "--out-dir", outDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"run.txt", "run.json", "run.csv", "run.md", "run.html", "run.om"} {
		p := filepath.Join(outDir, name)
		if _, err := os.Stat(p); err != nil || !strings.Contains(errs, "wrote "+p) {
			t.Errorf("%s: %v; stderr:\n%s", name, err, errs)
		}
	}
	if txt, _ := os.ReadFile(filepath.Join(outDir, "run.txt")); string(txt) != out {
		t.Error("stdout differs from run.txt")
	}
}

func TestReportAndCompareHelp(t *testing.T) {
	for name, build := range map[string]func(Streams) *cobra.Command{"report": newReportCommand, "compare": newCompareCommand} {
		out, _, err := runCommand(t, build, "--help")
		if err != nil || !strings.Contains(out, "Examples:") || !strings.Contains(out, "cnibench "+name) {
			t.Errorf("%s --help: %v\n%s", name, err, out)
		}
	}
}
