package report

import (
	"encoding/csv"
	"strconv"

	"github.com/cnibench/cnibench/internal/runrecord"
)

// udpMaxCSVColumns end a run's CSV when it has udp-max searches: one
// udp_max row per variant, scenario and size fills them (with variant,
// scenario, status, error, protocol, loss_percent, jitter_ms, overhead,
// sender_limited and the path columns before). docs/run.md.
var udpMaxCSVColumns = []string{
	"udp_max_size", "udp_max_path_mtu", "udp_max_rate_bps", "udp_max_packets_per_second",
	"udp_max_trials", "udp_max_converged", "udp_max_sender_bps",
}

// writeUDPMaxCSV writes a row per search; a failed one has its error and
// no figures, one that found no rate says so in status.
func writeUDPMaxCSV(cw *csv.Writer, run *runrecord.Run, newRow func() ([]string, func(k, v string))) {
	for _, m := range run.UDPMax {
		row, set := newRow()
		set("record", "udp_max")
		set("variant", m.Variant)
		set("scenario", m.Scenario)
		set("protocol", "udp")
		set("streams", "1")
		setPath(set, run.Path(m.Variant, m.Scenario))
		set("udp_max_size", strconv.Itoa(m.Size))
		set("udp_max_path_mtu", strconv.FormatBool(m.PathMTU))
		set("udp_max_trials", strconv.Itoa(len(m.Trials)))
		set("udp_max_converged", strconv.FormatBool(m.Converged))
		switch {
		case m.Error != "":
			set("status", "failed")
			set("error", m.Error)
		case !m.Found:
			set("status", "none")
		default:
			set("status", "ok")
			set("udp_max_rate_bps", f64(m.RateBps))
			set("udp_max_packets_per_second", f64(m.PacketsPerSecond))
			if m.JitterMs != nil {
				set("jitter_ms", f64(*m.JitterMs))
			}
			if b := udpMaxBest(m); b != nil {
				set("loss_percent", f64(100*b.Loss))
			}
			if m.Overhead != nil {
				set("overhead", f64(*m.Overhead))
			}
			set("sender_limited", strconv.FormatBool(m.SenderLimited))
			if m.SenderLimited {
				set("udp_max_sender_bps", f64(m.SenderBps))
			}
		}
		cw.Write(row)
	}
}

// udpMaxBest is the passing trial at the rate found (its rate is what was
// offered, or sent when the sender fell short).
func udpMaxBest(m runrecord.UDPMax) *runrecord.UDPMaxTrial {
	for i := len(m.Trials) - 1; i >= 0; i-- {
		t := &m.Trials[i]
		if t.Passed && (t.OfferedBps == m.RateBps || t.SentBps == m.RateBps) {
			return t
		}
	}
	return nil
}
