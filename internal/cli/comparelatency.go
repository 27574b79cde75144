package cli

import (
	"fmt"
	"strings"

	"github.com/cnibench/cnibench/internal/report"
)

// latencyGateFlag gates compare on latency as --fail-on-regression does on goodput.
const latencyGateFlag = "fail-on-latency-regression"

// latencyGate judges the latency changes of a comparison made with the
// gate's threshold: regressions says which rose beyond pct (nil when none
// did), err why the gate could not run.
func latencyGate(c *report.Comparison, pct float64) (regressions, err error) {
	if len(c.Latency) == 0 {
		return nil, fmt.Errorf("--%s: the runs have no latency test in common (run them with --tests rr or more)", latencyGateFlag)
	}
	regs := report.LatencyRegressions(c.Latency)
	if len(regs) == 0 {
		return nil, nil
	}
	var what []string
	for _, r := range regs {
		what = append(what, report.FormatLatencyChange(r))
	}
	return fmt.Errorf("%d latency regression(s) beyond %g%% (Holm-corrected): %s", len(regs), pct, strings.Join(what, ", ")), nil
}

// checkLatencyGateFlag rejects a threshold the gate cannot use.
func checkLatencyGateFlag(pct float64) error {
	if pct < 0 {
		return fmt.Errorf("--%s %g: want a percentage ≥ 0", latencyGateFlag, pct)
	}
	return nil
}
