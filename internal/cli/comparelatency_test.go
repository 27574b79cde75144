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
