package cli

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/runrecord/runrecordtest"
)

func TestCompareCommand(t *testing.T) {
	dir := t.TempDir()
	routed := writeRun(t, dir, "routed.json", runrecordtest.Options{Variants: []string{"datapath=routed"}})
	rerun := writeRun(t, dir, "rerun.json", runrecordtest.Options{Variants: []string{"datapath=routed"}, Seed: 3})
	vxlan := writeRun(t, dir, "vxlan.json", runrecordtest.Options{Variants: []string{"datapath=vxlan"}, Seed: 2})
	tests := []struct {
		name     string
		args     []string
		wantOut  string
		wantErr  string
		wantCode int // exitError code, 0 = none
	}{
		{"rerun: no change", []string{routed, rerun, "--fail-on-regression", "0"}, "~", "", 0},
		{"vxlan: slower, no gate", []string{routed, vxlan}, "-5.8%", "", 0},
		{"vxlan: gate at 5%", []string{routed, vxlan, "--fail-on-regression", "5"}, "REGRESSION", "1 regression(s) beyond 5%: pod-pod-cross tcp ×1 -5.8%", exitRegression},
		{"vxlan: gate at 10%", []string{routed, vxlan, "--fail-on-regression", "10"}, "vxlan", "", 0},
		{"stopped working", []string{vxlan, routed, "--fail-on-regression", "50"}, "failed in the new run", "pod-nodeport tcp ×1 failed", exitRegression},
		{"markdown", []string{routed, vxlan, "-o", "markdown"}, "| scenario | variant |", "", 0},
		{"json", []string{routed, vxlan, "-o", "json"}, `"schema_version": "cnibench.compare/v1"`, "", 0},
		{"csv", []string{routed, vxlan, "-o", "csv"}, "scenario,protocol,streams,", "", 0},
		{"html is not for comparisons", []string{routed, vxlan, "-o", "html"}, "", "not available for comparisons", 0},
		{"negative threshold", []string{routed, vxlan, "--fail-on-regression", "-1"}, "", "want a percentage", 0},
		{"one argument", []string{routed}, "", "accepts 2 arg", 0},
		{"missing file", []string{routed, filepath.Join(dir, "nope.json")}, "", "no such file", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := runCommand(t, newCompareCommand, tt.args...)
			var ee *exitError
			code := 0
			if errors.As(err, &ee) {
				code = ee.code
			}
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d (error %v)", code, tt.wantCode, err)
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantOut, out)
			}
		})
	}
}
