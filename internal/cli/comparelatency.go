package cli

import (
	"fmt"
	"strings"

	"github.com/cnibench/cnibench/internal/report"
)

// latencyGateFlag gates compare on latency as --fail-on-regression does on goodput.
const latencyGateFlag = "fail-on-latency-regression"

// latencyGate compares the latency of the runs: regressions says which
// rose beyond pct (nil when none did), err why the gate could not run.
func latencyGate(oldFiles, newFiles []string, pct float64) (regressions, err error) {
	if pct < 0 {
		return nil, fmt.Errorf("--%s %g: want a percentage ≥ 0", latencyGateFlag, pct)
	}
	changes, err := report.CompareLatencyFiles(oldFiles, newFiles, pct)
	if err != nil {
		return nil, err
	}
	if len(changes) == 0 {
		return nil, fmt.Errorf("--%s: the runs have no latency test in common (run them with --tests rr or more)", latencyGateFlag)
	}
	regs := report.LatencyRegressions(changes)
	if len(regs) == 0 {
		return nil, nil
	}
	var what []string
	for _, r := range regs {
		what = append(what, report.FormatLatencyChange(r))
	}
	return fmt.Errorf("%d latency regression(s) beyond %g%% (Holm-corrected): %s", len(regs), pct, strings.Join(what, ", ")), nil
}
