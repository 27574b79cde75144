package metrics

import (
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
	"github.com/prometheus/client_golang/prometheus"
)

// Units, as Prometheus names them: every metric with a unit ends in it.
const (
	bitsPerSecond = "bits_per_second"
	seconds       = "seconds"
	ratio         = "ratio"
)

// runMetric is a figure of the whole run.
type runMetric struct {
	desc  *prometheus.Desc
	value func(*runrecord.Run) (float64, bool)
}

// groupMetric is a figure of one scenario group (variant × scenario ×
// protocol × streams); value reports false when the group has none.
type groupMetric struct {
	desc  *prometheus.Desc
	value func(stats.Summary) (float64, bool)
}

func newDesc(name, unit, help string, labels ...[]string) *prometheus.Desc {
	var names []string
	for _, l := range labels {
		names = append(names, l...)
	}
	var opts []prometheus.DescOpt
	if unit != "" {
		opts = append(opts, prometheus.WithUnit(unit))
	}
	return prometheus.V2.NewDesc("cnibench_"+name, help, prometheus.UnconstrainedLabels(names), nil, opts...)
}

func runM(name, unit, help string, value func(*runrecord.Run) (float64, bool)) runMetric {
	return runMetric{desc: newDesc(name, unit, help, runLabels), value: value}
}

func groupM(name, unit, help string, value func(stats.Summary) (float64, bool)) groupMetric {
	return groupMetric{desc: newDesc(name, unit, help, runLabels, variantLabels, groupLabels), value: value}
}

// runMetrics are the run's own figures.
var runMetrics = []runMetric{
	runM("run_start_timestamp_seconds", seconds, "When the run started, Unix time. The Pushgateway refuses sample timestamps, so a pushed run says its time here.",
		func(r *runrecord.Run) (float64, bool) {
			return float64(r.Start.UnixNano()) / 1e9, !r.Start.IsZero()
		}),
	runM("run_duration_seconds", seconds, "How long the run took, start to end.",
		func(r *runrecord.Run) (float64, bool) {
			return r.End.Sub(r.Start).Seconds(), !r.Start.IsZero() && r.End.After(r.Start)
		}),
	runM("run_complete", "", "1 when the run finished, 0 when it was interrupted (its figures are what finished).",
		func(r *runrecord.Run) (float64, bool) { return b2f(r.Complete), true }),
}

// groupMetrics are each scenario group's figures.
var groupMetrics = []groupMetric{
	groupM("samples", "", "Tests of the group that measured (successful repeats); its figures come from them only.",
		func(s stats.Summary) (float64, bool) { return float64(s.N), true }),
	groupM("failed_samples", "", "Tests of the group that failed; they count in no figure.",
		func(s stats.Summary) (float64, bool) { return float64(s.Failed), true }),
	groupM("goodput_median_bits_per_second", bitsPerSecond, "Median goodput of the group's tests, received bits per second.",
		func(s stats.Summary) (float64, bool) { return estimate(s.Goodput, median) }),
	groupM("goodput_median_ci_lower_bits_per_second", bitsPerSecond, "Lower bound of the median goodput's 95% bootstrap confidence interval (3 tests or more).",
		func(s stats.Summary) (float64, bool) { return estimate(s.Goodput, ciLow) }),
	groupM("goodput_median_ci_upper_bits_per_second", bitsPerSecond, "Upper bound of the median goodput's 95% bootstrap confidence interval (3 tests or more).",
		func(s stats.Summary) (float64, bool) { return estimate(s.Goodput, ciHigh) }),
	groupM("overhead_ratio", ratio, "Share of its baseline's median goodput (node-node; node-node-same for same-node paths) the path costs: 1 - median/baseline median (0.07 = 7% slower, negative = faster).",
		func(s stats.Summary) (float64, bool) {
			if s.Overhead == nil {
				return 0, false
			}
			return s.Overhead.Ratio, true
		}),
	groupM("overhead_ci_lower_ratio", ratio, "Lower bound of the overhead's 95% bootstrap confidence interval.",
		func(s stats.Summary) (float64, bool) { return overheadCI(s, false) }),
	groupM("overhead_ci_upper_ratio", ratio, "Upper bound of the overhead's 95% bootstrap confidence interval.",
		func(s stats.Summary) (float64, bool) { return overheadCI(s, true) }),
	groupM("overhead_floor_ratio", ratio, "The overhead the path must cost whatever the CNI does (encapsulation header tax or smaller MTU); computed from the path, not measured.",
		func(s stats.Summary) (float64, bool) {
			if s.Floor == nil {
				return 0, false
			}
			return s.Floor.Ratio, true
		}),
	groupM("connect_rtt_median_seconds", seconds, "Median of the tests' idle connect round-trip times (TCP handshake).",
		func(s stats.Summary) (float64, bool) { return micro(estimate(s.ConnectRTT, median)) }),
	groupM("connect_rtt_median_ci_lower_seconds", seconds, "Lower bound of the median connect RTT's 95% bootstrap confidence interval.",
		func(s stats.Summary) (float64, bool) { return micro(estimate(s.ConnectRTT, ciLow)) }),
	groupM("connect_rtt_median_ci_upper_seconds", seconds, "Upper bound of the median connect RTT's 95% bootstrap confidence interval.",
		func(s stats.Summary) (float64, bool) { return micro(estimate(s.ConnectRTT, ciHigh)) }),
	groupM("connect_rtt_delta_seconds", seconds, "What the path adds to the baseline's median connect RTT (negative = faster).",
		func(s stats.Summary) (float64, bool) {
			if s.RTTDelta == nil {
				return 0, false
			}
			return s.RTTDelta.DeltaUs / 1e6, true
		}),
	groupM("tcp_retransmits_median", "", "Median TCP retransmits per test of the sending side.",
		func(s stats.Summary) (float64, bool) {
			if s.Retransmits == nil {
				return 0, false
			}
			return s.Retransmits.Median, true
		}),
	groupM("udp_loss_ratio", ratio, "Median share of UDP datagrams lost.",
		func(s stats.Summary) (float64, bool) { return scaled(s.LossPercent, 100) }),
	groupM("udp_jitter_seconds", seconds, "Median UDP jitter at the receiver.",
		func(s stats.Summary) (float64, bool) { return scaled(s.JitterMs, 1000) }),
	groupM("cpu_sender_ratio", ratio, "Median CPU use of the sending side as a share of one core (1 = one core busy, more when it used several).",
		func(s stats.Summary) (float64, bool) {
			if s.CPU == nil {
				return 0, false
			}
			return s.CPU.Sender / 100, true
		}),
	groupM("cpu_receiver_ratio", ratio, "Median CPU use of the receiving side as a share of one core (1 = one core busy, more when it used several).",
		func(s stats.Summary) (float64, bool) {
			if s.CPU == nil {
				return 0, false
			}
			return s.CPU.Receiver / 100, true
		}),
}

// Parts of an estimate.
const (
	median = iota
	ciLow
	ciHigh
)

func estimate(e *stats.Estimate, part int) (float64, bool) {
	switch {
	case e == nil:
		return 0, false
	case part == median:
		return e.Median, true
	case e.MedianCI == nil:
		return 0, false
	case part == ciLow:
		return e.MedianCI.Low, true
	default:
		return e.MedianCI.High, true
	}
}

func overheadCI(s stats.Summary, high bool) (float64, bool) {
	if s.Overhead == nil || s.Overhead.CI == nil {
		return 0, false
	}
	if high {
		return s.Overhead.CI.High, true
	}
	return s.Overhead.CI.Low, true
}

// micro turns microseconds into seconds.
func micro(us float64, ok bool) (float64, bool) { return us / 1e6, ok }

func scaled(v *float64, div float64) (float64, bool) {
	if v == nil {
		return 0, false
	}
	return *v / div, true
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
