package metrics

import (
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
	"github.com/prometheus/client_golang/prometheus"
)

// latencyLabels name a latency group within a variant.
var latencyLabels = []string{"scenario", "test"}

// latencyFigures are one latency group's summary and the medians of the
// percentiles the summary does not carry (p90, p99.9), each over the
// group's successful tests like the summary's.
type latencyFigures struct {
	stats.LatencySummary
	P90Us, P999Us *stats.Estimate
}

// latencyMetric is a figure of one latency group (variant × scenario ×
// test); value reports false when the group has none.
type latencyMetric struct {
	desc  *prometheus.Desc
	value func(latencyFigures) (float64, bool)
}

func latencyM(name, unit, help string, value func(latencyFigures) (float64, bool)) latencyMetric {
	return latencyMetric{desc: newDesc(name, unit, help, runLabels, variantLabels, latencyLabels), value: value}
}

// latencyEstimateMetrics are the median of a latency figure over the
// group's tests and its interval's bounds; scale turns the figure into the
// metric's unit.
func latencyEstimateMetrics(name, unit, what string, scale float64, get func(latencyFigures) *stats.Estimate) []latencyMetric {
	suffix := ""
	if unit != "" {
		suffix = "_" + unit
	}
	part := func(p int) func(latencyFigures) (float64, bool) {
		return func(f latencyFigures) (float64, bool) {
			v, ok := estimate(get(f), p)
			return v / scale, ok
		}
	}
	return []latencyMetric{
		latencyM("latency_"+name+"_median"+suffix, unit, "Median over the group's tests of "+what+".", part(median)),
		latencyM("latency_"+name+"_median_ci_lower"+suffix, unit, "Lower bound of the 95% confidence interval of the median of "+what+" (6 tests or more).", part(ciLow)),
		latencyM("latency_"+name+"_median_ci_upper"+suffix, unit, "Upper bound of the 95% confidence interval of the median of "+what+" (6 tests or more).", part(ciHigh)),
	}
}

// latencyDeltaMetrics are what a scenario adds to its baseline's figure:
// in seconds, as a factor, each with its interval, and whether it is
// significant.
func latencyDeltaMetrics(name, what string, get func(latencyFigures) *stats.LatencyDelta) []latencyMetric {
	of := func(v func(*stats.LatencyDelta) (float64, bool)) func(latencyFigures) (float64, bool) {
		return func(f latencyFigures) (float64, bool) {
			if d := get(f); d != nil {
				return v(d)
			}
			return 0, false
		}
	}
	bound := func(ci func(*stats.LatencyDelta) *stats.Interval, high bool, scale float64) func(latencyFigures) (float64, bool) {
		return of(func(d *stats.LatencyDelta) (float64, bool) {
			i := ci(d)
			switch {
			case i == nil:
				return 0, false
			case high:
				return i.High / scale, true
			}
			return i.Low / scale, true
		})
	}
	shift := func(d *stats.LatencyDelta) *stats.Interval { return d.CI }
	factor := func(d *stats.LatencyDelta) *stats.Interval { return d.FactorCI }
	return []latencyMetric{
		latencyM("latency_"+name+"_delta_seconds", seconds, "What "+what+" (Hodges-Lehmann shift of the tests' figures; negative = faster).",
			of(func(d *stats.LatencyDelta) (float64, bool) { return d.DeltaUs / 1e6, true })),
		latencyM("latency_"+name+"_delta_ci_lower_seconds", seconds, "Lower bound of the 95% Moses interval of latency_"+name+"_delta_seconds.", bound(shift, false, 1e6)),
		latencyM("latency_"+name+"_delta_ci_upper_seconds", seconds, "Upper bound of the 95% Moses interval of latency_"+name+"_delta_seconds.", bound(shift, true, 1e6)),
		latencyM("latency_"+name+"_factor_ratio", ratio, "The same as a factor (1.1 = 10% slower), from the shift of the log figures.",
			of(func(d *stats.LatencyDelta) (float64, bool) { return d.Factor, d.Factor > 0 })),
		latencyM("latency_"+name+"_factor_ci_lower_ratio", ratio, "Lower bound of the factor's 95% interval.", bound(factor, false, 1)),
		latencyM("latency_"+name+"_factor_ci_upper_ratio", ratio, "Upper bound of the factor's 95% interval.", bound(factor, true, 1)),
		latencyM("latency_"+name+"_delta_significant", "", "1 when the difference is significant (Mann-Whitney p < 0.05 after Holm over the run's latency tests), else 0.",
			of(func(d *stats.LatencyDelta) (float64, bool) { return b2f(d.Significant), true })),
	}
}

// latencyMetrics are each latency group's figures.
var latencyMetrics = func() []latencyMetric {
	ms := []latencyMetric{
		latencyM("latency_samples", "", "Latency tests of the group that measured; its figures come from them only.",
			func(f latencyFigures) (float64, bool) { return float64(f.N), true }),
		latencyM("latency_failed_samples", "", "Latency tests of the group that failed; they count in no figure.",
			func(f latencyFigures) (float64, bool) { return float64(f.Failed), true }),
	}
	for _, p := range []struct {
		name, what string
		get        func(latencyFigures) *stats.Estimate
	}{
		{"p50", "each test's median transaction latency", func(f latencyFigures) *stats.Estimate { return f.P50Us }},
		{"p90", "each test's 90th percentile transaction latency", func(f latencyFigures) *stats.Estimate { return f.P90Us }},
		{"p99", "each test's 99th percentile transaction latency", func(f latencyFigures) *stats.Estimate { return f.P99Us }},
		{"p99_9", "each test's 99.9th percentile transaction latency", func(f latencyFigures) *stats.Estimate { return f.P999Us }},
	} {
		ms = append(ms, latencyEstimateMetrics(p.name, seconds, p.what, 1e6, p.get)...)
	}
	ms = append(ms, latencyEstimateMetrics("transactions_per_second", "", "each test's transactions per second", 1,
		func(f latencyFigures) *stats.Estimate { return f.PerSecond })...)
	ms = append(ms, latencyDeltaMetrics("p50", "the path adds to its baseline's p50 (node-node; node-node-same for same-node paths)",
		func(f latencyFigures) *stats.LatencyDelta { return f.P50Delta })...)
	ms = append(ms, latencyDeltaMetrics("p99", "the path adds to its baseline's p99 (node-node; node-node-same for same-node paths)",
		func(f latencyFigures) *stats.LatencyDelta { return f.P99Delta })...)
	return append(ms, latencyM("latency_load_p50_delta_seconds", seconds, "rr-load only: what a bulk TCP stream on the same path adds to the scenario's idle rr p50.",
		func(f latencyFigures) (float64, bool) {
			if d := f.LoadP50Delta; d != nil {
				return d.DeltaUs / 1e6, true
			}
			return 0, false
		}))
}()

// latencyFiguresOf are the figures of every latency summary of r, with
// the p90 and p99.9 medians taken at the summary's confidence level.
func latencyFiguresOf(r *runrecord.Run) []latencyFigures {
	samples := map[stats.LatencyKey][]runrecord.LatencySample{}
	for _, g := range r.LatencyGroups() {
		samples[g.Key] = g.Samples
	}
	var out []latencyFigures
	for _, s := range r.LatencySummaries {
		f := latencyFigures{LatencySummary: s}
		if s.P50Us != nil {
			cfg := stats.Config{}
			if ci := s.P50Us.MedianCI; ci != nil {
				cfg.Confidence = ci.Level
			}
			key := stats.Key{Variant: s.Variant, Scenario: s.Scenario, Protocol: stats.Protocol(s.Test)}
			var p90, p999 []float64
			for _, x := range samples[s.LatencyKey] {
				if x.Failed() {
					continue
				}
				if x.Result.P90Us > 0 { // absent in a record that did not keep it: no figure, not 0
					p90 = append(p90, x.Result.P90Us)
				}
				if x.Result.P999Us > 0 {
					p999 = append(p999, x.Result.P999Us)
				}
			}
			f.P90Us, f.P999Us = cfg.Estimate(key, p90), cfg.Estimate(key, p999)
		}
		out = append(out, f)
	}
	return out
}
