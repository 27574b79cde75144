package report

import (
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// csvColumns are the columns of a run's CSV, documented in docs/run-json.md.
// Sample rows fill the sample columns, summary rows the summary columns.
var csvColumns = []string{
	"record", "variant", "scenario", "protocol", "streams",
	"repeat", "from", "to", "target_kind", "start", "end", // sample
	"status", "error", "n", "failed",
	"goodput_bps", // sample: its goodput; summary: median
	"median_ci_low_bps", "median_ci_high_bps", "mean_bps", "mean_ci_low_bps", "mean_ci_high_bps", "stdev_bps", "cv",
	"retransmits", "loss_percent", "jitter_ms", "cpu_sender_pct", "cpu_receiver_pct", "cpu_bound",
	"overhead", "overhead_ci_low", "overhead_ci_high", "p_value", "significant", "floor", "warnings", "adjusted_p_value",
	"datapath", "encapsulated", "header_tax", "mtu", "underlay_mtu", // the group's path, on every row
	"rtt_us", // sample: its median connect RTT; summary: the median of those
	"rtt_ci_low_us", "rtt_ci_high_us", "rtt_delta_us", "rtt_delta_ci_low_us", "rtt_delta_ci_high_us", "rtt_p_value", "rtt_significant",
	"sent_bps", "offered_bps", // UDP: the sender's achieved and offered rate (summary: medians)
	"sender_limited",          // summary: samples below 95% of the offered rate
	"verdict", "verdict_text", // summary: stats.Judge's kind and line
	"block_bytes",                    // sample: bytes per write (TCP) or datagram (UDP)
	"sender_modes", "receiver_modes", // sample: how each side moved its bytes (engine modes, space-separated)
}

// writeCSV renders one row per sample, then one per summary.
func writeCSV(w io.Writer, run *runrecord.Run) error {
	cw := csv.NewWriter(w)
	columns := csvColumns
	if len(run.LatencySamples) > 0 {
		columns = append(slices.Clip(columns), latencyCSVColumns...)
	}
	if hasNodeCPU(run.Summaries) {
		columns = append(slices.Clip(columns), nodeCPUCSVColumns...)
	}
	if len(run.Sweeps) > 0 {
		columns = append(slices.Clip(columns), sweepCSVColumns...)
	}
	if len(run.UDPMax) > 0 {
		columns = append(slices.Clip(columns), udpMaxCSVColumns...)
	}
	cw.Write(columns)
	col := make(map[string]int, len(columns))
	for i, c := range columns {
		col[c] = i
	}
	for _, s := range run.Samples {
		row := make([]string, len(columns))
		set := func(k, v string) { row[col[k]] = v }
		set("record", "sample")
		setKey(set, s.Key())
		sampleHead{s.Repeat, s.From, s.To, s.TargetKind, s.Start, s.End, s.Failed(), s.Error}.set(set)
		setPath(set, run.Path(s.Variant, s.Scenario))
		if hasNodeCPU(run.Summaries) {
			setSampleNodeCPU(set, s.NodeCPU)
		}
		if r := s.Result; r != nil && !s.Failed() {
			set("block_bytes", strconv.Itoa(r.Spec.Length))
			sender, receiver := r.Modes, r.PeerModes
			if r.Spec.Reverse {
				sender, receiver = receiver, sender
			}
			set("sender_modes", strings.Join(sender, " "))
			set("receiver_modes", strings.Join(receiver, " "))
			set("goodput_bps", f64(r.Goodput()))
			if s.Protocol == stats.UDP {
				set("sent_bps", f64(r.SumSent.BitsPerSecond))
				if r.Spec.Rate > 0 {
					set("offered_bps", f64(float64(r.Spec.Rate)*float64(max(r.Spec.Streams, 1))))
				}
				set("loss_percent", f64(r.SumReceived.LostPercent))
				set("jitter_ms", f64(r.SumReceived.JitterMs))
			} else if r.SumSent.Retransmits >= 0 {
				set("retransmits", strconv.FormatInt(r.SumSent.Retransmits, 10))
			}
			if rtt := r.ConnectRTT; rtt != nil && len(rtt.SamplesUs) > 0 {
				set("rtt_us", f64(rtt.MedianUs))
			}
			set("cpu_sender_pct", f64(r.CPU.HostTotal))
			set("cpu_receiver_pct", f64(r.CPU.RemoteTotal))
			if r.Spec.Reverse {
				set("cpu_sender_pct", f64(r.CPU.RemoteTotal))
				set("cpu_receiver_pct", f64(r.CPU.HostTotal))
			}
		}
		cw.Write(row)
	}
	for _, s := range run.Summaries {
		row := make([]string, len(columns))
		set := func(k, v string) { row[col[k]] = v }
		set("record", "summary")
		setKey(set, s.Key)
		set("status", string(s.Status))
		set("error", strings.Join(s.Errors, "; "))
		set("n", strconv.Itoa(s.N))
		set("failed", strconv.Itoa(s.Failed))
		setPath(set, run.Path(s.Variant, s.Scenario))
		if g := s.Goodput; g != nil {
			set("goodput_bps", f64(g.Median))
			set("mean_bps", f64(g.Mean))
			setInterval(set, "median_ci_low_bps", "median_ci_high_bps", g.MedianCI)
			setInterval(set, "mean_ci_low_bps", "mean_ci_high_bps", g.MeanCI)
			setPtr(set, "stdev_bps", g.Stdev)
			setPtr(set, "cv", g.CV)
		}
		if r := s.Retransmits; r != nil {
			set("retransmits", f64(r.Median))
		}
		setPtr(set, "loss_percent", s.LossPercent)
		setPtr(set, "jitter_ms", s.JitterMs)
		if u := s.CPU; u != nil {
			set("cpu_sender_pct", f64(u.Sender))
			set("cpu_receiver_pct", f64(u.Receiver))
			set("cpu_bound", strconv.FormatBool(u.Bound))
		}
		if o := s.Overhead; o != nil {
			set("overhead", f64(o.Ratio))
			setInterval(set, "overhead_ci_low", "overhead_ci_high", o.CI)
			set("p_value", f64(o.TestP()))
			set("significant", strconv.FormatBool(o.Significant))
			if o.FamilySize > 0 {
				set("adjusted_p_value", f64(o.AdjustedP))
			}
		}
		if s.Floor != nil {
			set("floor", f64(s.Floor.Ratio))
		}
		if e := s.ConnectRTT; e != nil {
			set("rtt_us", f64(e.Median))
			setInterval(set, "rtt_ci_low_us", "rtt_ci_high_us", e.MedianCI)
		}
		if d := s.RTTDelta; d != nil {
			set("rtt_delta_us", f64(d.DeltaUs))
			setInterval(set, "rtt_delta_ci_low_us", "rtt_delta_ci_high_us", d.CI)
			set("rtt_p_value", f64(d.Test.P))
			set("rtt_significant", strconv.FormatBool(d.Significant))
		}
		if e := s.Sent; e != nil {
			set("sent_bps", f64(e.Median))
			set("offered_bps", f64(s.OfferedBps))
			set("sender_limited", strconv.Itoa(s.SenderLimited))
		}
		if hasNodeCPU(run.Summaries) {
			setSummaryNodeCPU(set, s.NodeCPU)
		}
		v := stats.Judge(s, baselineOf(run, s))
		set("verdict", v.Kind)
		set("verdict_text", v.Text)
		var codes []string
		for _, wn := range s.Warnings {
			codes = append(codes, wn.Code)
		}
		set("warnings", strings.Join(codes, " "))
		cw.Write(row)
	}
	newRow := func() ([]string, func(k, v string)) {
		row := make([]string, len(columns))
		return row, func(k, v string) { row[col[k]] = v }
	}
	writeSweepCSV(cw, run, newRow)
	writeLatencyCSV(cw, run, newRow)
	writeUDPMaxCSV(cw, run, newRow)
	cw.Flush()
	return cw.Error()
}

// sampleHead is what every sample row has, throughput or latency: its
// repeat, endpoints, times and status.
type sampleHead struct {
	repeat     int
	from, to   string
	kind       runrecord.TargetKind
	start, end time.Time
	failed     bool
	err        string
}

func (h sampleHead) set(set func(k, v string)) {
	set("repeat", strconv.Itoa(h.repeat))
	set("from", h.from)
	set("to", h.to)
	set("target_kind", string(h.kind))
	set("start", h.start.UTC().Format(time.RFC3339Nano))
	set("end", h.end.UTC().Format(time.RFC3339Nano))
	set("status", "ok")
	if h.failed {
		set("status", "failed")
		set("error", h.err)
	}
}

func setKey(set func(k, v string), k stats.Key) {
	set("variant", k.Variant)
	set("scenario", k.Scenario)
	set("protocol", string(k.Protocol))
	set("streams", strconv.Itoa(k.Streams))
}

// setPath fills the path columns; they stay empty when the run recorded
// no path for the group.
func setPath(set func(k, v string), p *runrecord.Path) {
	if p == nil {
		return
	}
	set("datapath", p.Datapath)
	set("encapsulated", strconv.FormatBool(p.Encapsulated))
	set("header_tax", strconv.Itoa(p.HeaderTax))
	set("mtu", strconv.Itoa(p.MTU))
	set("underlay_mtu", strconv.Itoa(p.UnderlayMTU))
}

func setInterval(set func(k, v string), lo, hi string, ci *stats.Interval) {
	if ci != nil {
		set(lo, f64(ci.Low))
		set(hi, f64(ci.High))
	}
}

func setPtr(set func(k, v string), k string, v *float64) {
	if v != nil {
		set(k, f64(*v))
	}
}

// f64 is a float in full precision, without exponent.
func f64(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
