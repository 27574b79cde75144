package report

import (
	"encoding/csv"
	"strconv"
	"strings"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// latencyCSVColumns end every row of a run's CSV: latency_sample and
// latency_summary rows fill them (with variant, scenario, repeat, from,
// to, target_kind, start, end, status, error, n, failed, warnings of the
// columns before), other rows leave them empty. docs/run-json.md.
var latencyCSVColumns = []string{
	"test", "transactions", "transactions_per_second", "tps_ci_low", "tps_ci_high",
	"p50_us", "p50_ci_low_us", "p50_ci_high_us", "p99_us", "p99_ci_low_us", "p99_ci_high_us",
	"p50_delta_us", "p50_delta_ci_low_us", "p50_delta_ci_high_us", "p50_factor", "p50_factor_ci_low", "p50_factor_ci_high",
	"p50_p_value", "p50_adjusted_p_value", "p50_significant",
	"p99_delta_us", "p99_delta_ci_low_us", "p99_delta_ci_high_us", "p99_factor", "p99_factor_ci_low", "p99_factor_ci_high",
	"p99_p_value", "p99_adjusted_p_value", "p99_significant",
	"histogram",
}

// writeLatencyCSV writes one row per latency sample, then one per latency
// summary; newRow gives a row of every column and its setter.
func writeLatencyCSV(cw *csv.Writer, run *runrecord.Run, newRow func() ([]string, func(k, v string))) {
	for _, s := range run.LatencySamples {
		row, set := newRow()
		set("record", "latency_sample")
		setLatencyKey(set, s.Key())
		sampleHead{s.Repeat, s.From, s.To, s.TargetKind, s.Start, s.End, s.Failed(), s.Error}.set(set)
		if r := s.Result; r != nil && !s.Failed() {
			set("transactions", strconv.FormatInt(r.Transactions, 10))
			set("transactions_per_second", f64(r.TransactionsPerSecond))
			set("p50_us", f64(r.P50Us))
			set("p99_us", f64(r.P99Us))
			set("histogram", r.Histogram)
		}
		cw.Write(row)
	}
	for _, s := range run.LatencySummaries {
		row, set := newRow()
		set("record", "latency_summary")
		setLatencyKey(set, s.LatencyKey)
		set("status", string(s.Status))
		set("error", strings.Join(s.Errors, "; "))
		set("n", strconv.Itoa(s.N))
		set("failed", strconv.Itoa(s.Failed))
		if e := s.PerSecond; e != nil {
			set("transactions_per_second", f64(e.Median))
			setInterval(set, "tps_ci_low", "tps_ci_high", e.MedianCI)
		}
		for _, q := range []struct {
			name string
			e    *stats.Estimate
			d    *stats.LatencyDelta
		}{{"p50", s.P50Us, s.P50Delta}, {"p99", s.P99Us, s.P99Delta}} {
			if q.e != nil {
				set(q.name+"_us", f64(q.e.Median))
				setInterval(set, q.name+"_ci_low_us", q.name+"_ci_high_us", q.e.MedianCI)
			}
			if d := q.d; d != nil {
				set(q.name+"_delta_us", f64(d.DeltaUs))
				setInterval(set, q.name+"_delta_ci_low_us", q.name+"_delta_ci_high_us", d.CI)
				if d.Factor > 0 {
					set(q.name+"_factor", f64(d.Factor))
				}
				setInterval(set, q.name+"_factor_ci_low", q.name+"_factor_ci_high", d.FactorCI)
				set(q.name+"_p_value", f64(d.Test.P))
				set(q.name+"_adjusted_p_value", f64(d.AdjustedP))
				set(q.name+"_significant", strconv.FormatBool(d.Significant))
			}
		}
		var codes []string
		for _, wn := range s.Warnings {
			codes = append(codes, wn.Code)
		}
		set("warnings", strings.Join(codes, " "))
		cw.Write(row)
	}
}

func setLatencyKey(set func(k, v string), k stats.LatencyKey) {
	set("variant", k.Variant)
	set("scenario", k.Scenario)
	set("test", k.Test)
}
