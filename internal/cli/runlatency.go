package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/units"
	"github.com/spf13/pflag"
)

// latencyRunOptions are run's flags for the latency tests.
type latencyRunOptions struct {
	tests    []string
	duration secondsValue
}

// defaultRunTests is what `cnibench run` measures on each scenario
// unless --tests says otherwise: goodput, and rr's latency.
var defaultRunTests = []string{bench.Throughput, bench.RR}

func addLatencyRunFlags(f *pflag.FlagSet) *latencyRunOptions {
	o := &latencyRunOptions{duration: secondsValue(bench.DefaultLatencyDuration)}
	f.StringSliceVar(&o.tests, "tests", defaultRunTests, "tests on every scenario: throughput, rr (request/response latency), crr (a connection per transaction), udp-rr, rr-load (rr beside a bulk TCP stream), udp-max (the maximum loss-free UDP rate, RFC 2544)")
	f.Var(&o.duration, "latency-duration", "length of each latency test (rr, crr, udp-rr), e.g. 500ms or 2s")
	return o
}

// apply sets the plan's kinds of test. A stock iperf3 (--server-image)
// cannot answer latency tests: asked for, that is an error; by default
// the run then measures throughput only.
func (o *latencyRunOptions) apply(f *pflag.FlagSet, p *bench.Plan, serverImage string) error {
	p.Kinds = nil
	for _, t := range o.tests {
		p.Kinds = append(p.Kinds, strings.ToLower(strings.TrimSpace(t)))
	}
	p.LatencyDuration = time.Duration(o.duration)
	if serverImage == "" {
		return nil
	}
	if f == nil || !f.Changed("tests") {
		p.Kinds = []string{bench.Throughput}
		return nil
	}
	for _, k := range p.Kinds {
		if k != bench.Throughput && k != bench.UDPMax {
			return fmt.Errorf("--tests %s with --server-image: a stock iperf3 cannot answer latency tests; use --tests throughput, or cnibench's own server (leave --server-image out)", k)
		}
	}
	return nil
}

// serverImageOf is --server-image, "" when kube's flags are not there.
func (k *kubeOptions) serverImageOf() string {
	if k == nil {
		return ""
	}
	return k.serverImage
}

// finishedResult is a finished test's figure for the progress line, and
// its error ("" when it succeeded): goodput, or a latency test's p50 and
// p99.
func finishedResult(pr bench.Progress) (result, errMsg string) {
	switch {
	case pr.Latency != nil && pr.Latency.Result != nil:
		r := pr.Latency.Result
		return fmt.Sprintf("p50 %s, p99 %s", formatUs(r.P50Us), formatUs(r.P99Us)), ""
	case pr.Latency != nil:
		return "failed", pr.Latency.Error
	case pr.Sample != nil && pr.Sample.Result != nil:
		return units.FormatRate(pr.Rate()), pr.Sample.Error
	case pr.Sample != nil:
		return "failed", pr.Sample.Error
	}
	return "failed", ""
}

// formatUs prints a latency in µs, or ms from 10 ms.
func formatUs(us float64) string {
	if us >= 10_000 {
		return fmt.Sprintf("%.1f ms", us/1000)
	}
	return fmt.Sprintf("%.0f µs", us)
}
