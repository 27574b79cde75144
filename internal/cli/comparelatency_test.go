package cli

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/runrecord/runrecordtest"
)

func TestCompareLatencyGate(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, factor float64, latency bool) string {
		run := runrecordtest.Build(runrecordtest.Options{Variants: []string{"datapath=routed"}})
		if latency {
			runrecordtest.AddLatency(run, runrecordtest.LatencyOptions{Factor: factor})
		}
		path := filepath.Join(dir, name)
		if err := runrecord.WriteFile(path, run); err != nil {
			t.Fatal(err)
		}
		return path
	}
	before, same, slower, none := write("before.json", 1, true), write("same.json", 1, true), write("slower.json", 1.3, true), write("none.json", 0, false)
	// The latency section: shown when both sides ran latency tests, absent
	// (not an empty table) when they did not.
	for _, tc := range []struct {
		old, new string
		want     bool
	}{{before, slower, true}, {none, none, false}, {before, none, false}} {
		out, _, err := runCommand(t, newCompareCommand, tc.old, tc.new)
		if err != nil || strings.Contains(out, "\nLATENCY\n") != tc.want || tc.want && !strings.Contains(out, "rr    41 → 53 µs     ×1.30*") {
			t.Errorf("compare %s %s: error %v, latency section %v, want %v:\n%s", filepath.Base(tc.old), filepath.Base(tc.new), err, !tc.want, tc.want, out)
		}
	}
	for _, tc := range []struct {
		name     string
		args     []string
		wantErr  string
		wantCode int
	}{
		{"the same", []string{before, same, "--fail-on-latency-regression", "5"}, "", 0},
		{"30% slower at 10%", []string{before, slower, "--fail-on-latency-regression", "10"}, "latency regression(s) beyond 10% (Holm-corrected): node-node rr p50 +30.0% (41 µs → 53 µs)", exitRegression},
		{"30% slower at 50%", []string{before, slower, "--fail-on-latency-regression", "50"}, "", 0},
		{"no latency tests", []string{none, none, "--fail-on-latency-regression", "5"}, "the runs have no latency test in common", 0},
		{"negative", []string{before, slower, "--fail-on-latency-regression", "-1"}, "want a percentage ≥ 0", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runCommand(t, newCompareCommand, tc.args...)
			code := 0
			var ee *exitError
			if errors.As(err, &ee) {
				code = ee.code
			}
			if code != tc.wantCode || (tc.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("exit %d, error %v; want %d, %q", code, err, tc.wantCode, tc.wantErr)
			}
		})
	}
}
