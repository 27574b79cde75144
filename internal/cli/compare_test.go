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
	podNode := writeRun(t, dir, "pod-node.json", runrecordtest.Options{Variants: []string{"datapath=routed"}, Scenarios: []string{"node-node", "pod-node"}})
	cross := writeRun(t, dir, "cross.json", runrecordtest.Options{Variants: []string{"datapath=routed"}, Scenarios: []string{"node-node", "pod-pod-cross"}})
	few := writeRun(t, dir, "few.json", runrecordtest.Options{Variants: []string{"datapath=routed"}, Repeats: 2})
	few2 := writeRun(t, dir, "few2.json", runrecordtest.Options{Variants: []string{"datapath=routed"}, Repeats: 2, Seed: 3})
	rerun2 := writeRun(t, dir, "rerun2.json", runrecordtest.Options{Variants: []string{"datapath=routed"}, Seed: 5})
	vxlan2 := writeRun(t, dir, "vxlan2.json", runrecordtest.Options{Variants: []string{"datapath=vxlan"}, Seed: 6})
	discard := writeRun(t, dir, "discard.json", runrecordtest.Options{Variants: []string{"datapath=routed"}, Seed: 3, Discard: true})
	tests := []struct {
		name     string
		args     []string
		wantOut  string
		wantErr  string
		wantCode int // exitError code, 0 = none
	}{
		{"rerun: one run a side says it cannot tell runs from change", []string{routed, rerun, "--fail-on-regression", "3"}, "One run per side", "", 0},
		{"reruns: several runs a side", []string{routed, rerun, "-o", "wide", "--", rerun2}, "runs 2+1", "", 0},
		{"globs", []string{"-o", "wide", filepath.Join(dir, "r*.json"), "--", filepath.Join(dir, "vxlan*.json")}, "runs 3+2", "", 0},
		{"a glob that matches nothing", []string{filepath.Join(dir, "x*.json"), "--", vxlan}, "", "matches no file", 0},
		{"nothing after --", []string{routed, vxlan2, "--"}, "", "want at least one run before and one after", 0},
		{"vxlan: slower, no gate", []string{routed, vxlan}, "-6.15%", "", 0},
		{"vxlan: gate at 5%", []string{routed, vxlan, "--fail-on-regression", "5"}, "REGRESSION", "1 regression(s) beyond 5% (interval bound, Holm-corrected): pod-pod-cross tcp ×1 -6.2%", exitRegression},
		{"vxlan: gate at 10%", []string{routed, vxlan, "--fail-on-regression", "10"}, "vxlan", "", 0},
		{"stopped working", []string{vxlan, routed, "--fail-on-regression", "50"}, "failed in the new run", "pod-nodeport tcp ×1 failed", exitRegression},
		{"nothing in common cannot pass", []string{podNode, cross, "--fail-on-regression", "5"}, "not in the old run", "cannot decide:\n  pod-node tcp ×1: not in the new runs", exitCannotJudge},
		{"too few samples cannot pass", []string{few, few2, "--fail-on-regression", "5"}, "", "too few samples for an interval (2 old, 2 new", exitCannotJudge},
		{"too few samples without a gate", []string{few, few2}, "", "", 0},
		{"--discard against a copying run cannot pass", []string{routed, discard, "--fail-on-regression", "5"}, "the sides name different modes (old: none; new: tcp-discard, tcp-rcvlowat)",
			"only the new run(s) discarded TCP bytes unread (--discard)", exitCannotJudge},
		{"--discard against a copying run, ungated", []string{routed, discard}, "only the new run(s) discarded", "", 0},
		{"markdown", []string{routed, vxlan, "-o", "markdown"}, "| scenario | variant |", "", 0},
		{"json", []string{routed, vxlan, "-o", "json"}, `"schema_version": "cnibench.compare/v2"`, "", 0},
		{"csv", []string{routed, vxlan, "-o", "csv"}, "scenario,protocol,streams,", "", 0},
		{"html is not for comparisons", []string{routed, vxlan, "-o", "html"}, "", "not available for comparisons", 0},
		{"negative threshold", []string{routed, vxlan, "--fail-on-regression", "-1"}, "", "want a percentage", 0},
		{"one argument", []string{routed}, "", "compare takes OLD.json NEW.json", 0},
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
