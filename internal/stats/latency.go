package stats

import (
	"fmt"
	"math"
)

// Latency tests (rr, crr, udp-rr) are summarised like goodput: each group's
// per-test p50, p99 and transactions/s as medians over the repeats with the
// order-statistic interval (Estimate), and p50 and p99 against the same
// baseline group goodput uses, as what the scenario adds in µs and as a
// factor, each with the Hodges–Lehmann estimate, its Moses interval and
// the Mann-Whitney test (the machinery of the overhead and of RTTDelta).

// LatencyKey names a latency group: every test with the same key measured
// the same thing.
type LatencyKey struct {
	Variant  string `json:"variant,omitempty"`
	Scenario string `json:"scenario"`
	Test     string `json:"test"` // rr, crr or udp-rr
}

// LatencySample is one successful latency test's figures.
type LatencySample struct {
	P50Us, P99Us float64
	PerSecond    float64 // transactions/s
}

// LatencyGroup is the input of one latency group: its successful samples
// and the errors of its failed ones.
type LatencyGroup struct {
	Key     LatencyKey
	Samples []LatencySample
	Errors  []string
}

func (g LatencyGroup) values(f func(LatencySample) float64) []float64 {
	v := make([]float64, len(g.Samples))
	for i, s := range g.Samples {
		v[i] = f(s)
	}
	return v
}

func p50(s LatencySample) float64 { return s.P50Us }
func p99(s LatencySample) float64 { return s.P99Us }

// LatencyDelta is what a scenario adds to the baseline's latency: the
// µs difference (RTTDelta's fields: Hodges–Lehmann shift, Moses interval,
// Mann-Whitney test, Holm-adjusted significance) and the factor, the
// Hodges–Lehmann shift of log latency as a ratio (1.25 = 25% slower), with
// its interval. The factor and the µs difference come from the same ranks:
// one test stands for both.
type LatencyDelta struct {
	RTTDelta
	Factor   float64   `json:"factor"`
	FactorCI *Interval `json:"factor_ci,omitempty"`
}

// LatencySummary is what one latency group measured: figures from its
// successful samples only; a figure the data cannot support is absent.
type LatencySummary struct {
	LatencyKey
	Baseline  bool          `json:"baseline,omitempty"`
	Status    Status        `json:"status"`
	N         int           `json:"n"`
	Failed    int           `json:"failed"`
	Errors    []string      `json:"errors,omitempty"`
	P50Us     *Estimate     `json:"p50_us,omitempty"`
	P99Us     *Estimate     `json:"p99_us,omitempty"`
	PerSecond *Estimate     `json:"transactions_per_second,omitempty"`
	P50Delta  *LatencyDelta `json:"p50_delta,omitempty"`
	P99Delta  *LatencyDelta `json:"p99_delta,omitempty"`
	// LoadP50Delta is, for rr under load, what the load adds to the same
	// scenario's idle rr p50 (LoadDelta).
	LoadP50Delta *LatencyDelta `json:"load_p50_delta,omitempty"`
	Warnings     []Warning     `json:"warnings,omitempty"`
}

// SummarizeLatency describes g and compares it with baseline (g itself for
// the baseline group, nil when the run has none).
func (c Config) SummarizeLatency(g LatencyGroup, baseline *LatencyGroup) LatencySummary {
	c = c.withDefaults()
	s := LatencySummary{LatencyKey: g.Key, N: len(g.Samples), Failed: len(g.Errors), Errors: distinct(g.Errors)}
	s.Baseline = baseline != nil && baseline.Key == g.Key
	warn := func(code, format string, a ...any) {
		s.Warnings = append(s.Warnings, Warning{Code: code, Message: fmt.Sprintf(format, a...)})
	}
	var failures []Warning
	s.Status, failures = sampleStatus(s.N, s.Failed, s.Errors)
	s.Warnings = append(s.Warnings, failures...)
	if s.Status == StatusFailed {
		return s
	}
	key := Key{Variant: g.Key.Variant, Scenario: g.Key.Scenario, Protocol: Protocol(g.Key.Test)}
	s.P50Us = c.Estimate(key, g.values(p50))
	s.P99Us = c.Estimate(key, g.values(p99))
	s.PerSecond = c.Estimate(key, g.values(func(x LatencySample) float64 { return x.PerSecond }))
	if s.P50Us.MedianCI == nil {
		warn(WarnFewSamples, "only %d successful sample(s): no %g%% interval for the median exists below %d; use --repeats %d or more",
			s.N, c.Confidence*100, MinRepeatsForMedianCI(c.Confidence), MinRepeatsForMedianCI(c.Confidence))
	}
	switch {
	case s.Baseline:
	case baseline == nil:
		warn(WarnNoBaseline, "no baseline %s test: no difference", g.Key.Test)
	case len(baseline.Samples) == 0:
		warn(WarnBaselineFailed, "the baseline %s has no successful sample: no difference", baseline.Key.Scenario)
	default:
		s.P50Delta = c.latencyDelta(g.values(p50), baseline.values(p50))
		s.P99Delta = c.latencyDelta(g.values(p99), baseline.values(p99))
	}
	return s
}

// latencyDelta compares latencies (µs) with the baseline's.
func (c Config) latencyDelta(x, base []float64) *LatencyDelta {
	d := c.rttDelta(x, base)
	if d == nil {
		return nil
	}
	out := &LatencyDelta{RTTDelta: *d}
	if lx, lb := logs(x), logs(base); lx != nil && lb != nil {
		sh := HodgesLehmann(lx, lb, c.Confidence)
		out.Factor = math.Exp(sh.Estimate)
		if sh.CI != nil {
			out.FactorCI = &Interval{Low: math.Exp(sh.CI.Low), High: math.Exp(sh.CI.High), Level: sh.CI.Level}
		}
	}
	return out
}

// LoadDelta is what load adds to latency: the p50s of rr under load
// against the same scenario's idle rr p50s; nil when either has none.
func (c Config) LoadDelta(loaded, idle LatencyGroup) *LatencyDelta {
	if len(loaded.Samples) == 0 || len(idle.Samples) == 0 {
		return nil
	}
	return c.withDefaults().latencyDelta(loaded.values(p50), idle.values(p50))
}

// AdjustLatencyFamily applies Holm's correction over every p50, p99 and
// load test of a run's latency table (a family of its own, beside the goodput
// table's) and returns the family's size.
func (c Config) AdjustLatencyFamily(sums []LatencySummary) int {
	c = c.withDefaults()
	var ds []*LatencyDelta
	for i := range sums {
		for _, d := range []*LatencyDelta{sums[i].P50Delta, sums[i].P99Delta, sums[i].LoadP50Delta} {
			if d != nil {
				ds = append(ds, d)
			}
		}
	}
	p := make([]float64, len(ds))
	for i, d := range ds {
		p[i] = d.Test.P
	}
	for i, a := range Holm(p) {
		ds[i].AdjustedP, ds[i].FamilySize, ds[i].Significant = a, len(ds), a < c.Alpha
	}
	return len(ds)
}
