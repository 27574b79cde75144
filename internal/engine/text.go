package engine

import (
	"fmt"
	"strings"
)

// Role says which end a Result was measured at.
type Role int

const (
	ClientRole Role = iota
	ServerRole
)

// FormatText renders a result the way iperf3 prints it: the interval table,
// then the sender and receiver summary lines.
func FormatText(r *Result, role Role) string {
	var b strings.Builder
	if r.ConnectRTT != nil {
		b.WriteString(FormatConnectRTT(r.ConnectRTT))
	}
	for _, c := range r.Connected {
		fmt.Fprintf(&b, "[%3d] local %s connected to %s\n", c.ID, c.Local, c.Remote)
	}
	b.WriteString(IntervalHeader(r.Spec))
	for _, iv := range r.Intervals {
		b.WriteString(FormatInterval(iv, r.Spec))
	}
	b.WriteString(FormatSummary(r, role))
	return b.String()
}

// FormatConnectRTT is the line that reports the connect RTT probes
// (Result.ConnectRTT) above the test's output, e.g.
// "Connect RTT: 20 probes, min 21 µs, median 35 µs, p90 48 µs, max 60 µs".
func FormatConnectRTT(r *RTT) string {
	probes := fmt.Sprintf("%d probe", r.Probes)
	if r.Probes != 1 {
		probes += "s"
	}
	switch {
	case r.Probes == 0:
		return "Connect RTT: no probes\n"
	case len(r.SamplesUs) == 0:
		return fmt.Sprintf("Connect RTT: %s, all failed\n", probes)
	case r.Failed > 0:
		probes += fmt.Sprintf(" (%d failed)", r.Failed)
	}
	return fmt.Sprintf("Connect RTT: %s, min %.0f µs, median %.0f µs, p90 %.0f µs, max %.0f µs\n",
		probes, r.MinUs, r.MedianUs, r.P90Us, r.MaxUs)
}

// IntervalHeader is the column header above interval lines.
func IntervalHeader(s Spec) string {
	if s.Protocol == UDP {
		return "[ ID] Interval           Transfer     Bitrate         Total Datagrams\n"
	}
	return "[ ID] Interval           Transfer     Bitrate         Retr  Cwnd\n"
}

// FormatInterval renders one interval: a line per stream, plus a SUM line
// when there are several streams.
func FormatInterval(iv Interval, s Spec) string {
	var b strings.Builder
	for _, st := range iv.Streams {
		b.WriteString(intervalLine(fmt.Sprintf("%3d", st.ID), st, s))
	}
	if len(iv.Streams) > 1 {
		b.WriteString(intervalLine("SUM", iv.Sum, s))
		if iv.SumReverse != nil {
			b.WriteString(intervalLine("SUM", *iv.SumReverse, s))
		}
	}
	return b.String()
}

func intervalLine(id string, st IntervalStream, s Spec) string {
	line := fmt.Sprintf("[%s] %6.2f-%-6.2f sec  %s  %s", id, st.Start, st.End, Bytes(st.Bytes), Rate(st.BitsPerSecond))
	switch {
	case s.Protocol == UDP && st.Sender:
		line += fmt.Sprintf("  %d", st.Packets)
	case s.Protocol == UDP:
		line += fmt.Sprintf("  %.3f ms  %d/%d", st.JitterMs, st.LostPackets, st.Packets)
	case st.HasTCPInfo && id == "SUM":
		line += fmt.Sprintf("  %4d", st.Retransmits)
	case st.HasTCPInfo:
		line += fmt.Sprintf("  %4d   %s", st.Retransmits, Bytes(uint64(max(st.SndCwnd, 0))))
	}
	if st.Omitted {
		line += "  (omitted)"
	}
	return line + "\n"
}

// FormatSummary renders the end-of-test lines, one pair per stream and
// per direction's sum.
func FormatSummary(r *Result, role Role) string {
	var b strings.Builder
	b.WriteString("- - - - - - - - - - - - - - - - - - - - - - - - -\n")
	if r.Spec.Protocol == UDP {
		b.WriteString("[ ID] Interval           Transfer     Bitrate         Jitter    Lost/Total Datagrams\n")
	} else {
		b.WriteString("[ ID] Interval           Transfer     Bitrate         Retr\n")
	}
	for _, st := range r.Streams {
		b.WriteString(summaryPair(fmt.Sprintf("%3d", st.ID), st.Sent, st.Received, r.Spec))
	}
	if len(r.Streams) > 1 {
		b.WriteString(summaryPair("SUM", r.SumSent, r.SumReceived, r.Spec))
		if r.SumSentReverse != nil {
			b.WriteString(summaryPair("SUM", *r.SumSentReverse, *r.SumReceivedReverse, r.Spec))
		}
	}
	if role == ClientRole {
		local, remote := "sender", "receiver" // as iperf3 labels them
		if r.Spec.Reverse {
			local, remote = remote, local
		}
		fmt.Fprintf(&b, "CPU Utilization: local/%s %.1f%% (%.1f%%u/%.1f%%s), remote/%s %.1f%% (%.1f%%u/%.1f%%s)\n",
			local, r.CPU.HostTotal, r.CPU.HostUser, r.CPU.HostSystem, remote, r.CPU.RemoteTotal, r.CPU.RemoteUser, r.CPU.RemoteSystem)
	}
	if len(r.Modes) > 0 {
		fmt.Fprintf(&b, "Local modes: %s\n", strings.Join(r.Modes, ", "))
	}
	if len(r.PeerModes) > 0 {
		fmt.Fprintf(&b, "Peer modes: %s\n", strings.Join(r.PeerModes, ", "))
	}
	return b.String()
}

func summaryPair(id string, sent, recv Totals, s Spec) string {
	head := func(t Totals) string {
		return fmt.Sprintf("[%s] %6.2f-%-6.2f sec  %s  %s", id, 0.0, t.End, Bytes(t.Bytes), Rate(t.BitsPerSecond))
	}
	if s.Protocol == UDP {
		return fmt.Sprintf("%s  %9.3f ms  %d/%d (0%%)  sender\n", head(sent), 0.0, 0, sent.Packets) +
			fmt.Sprintf("%s  %9.3f ms  %d/%d (%.2g%%)  receiver\n", head(recv), recv.JitterMs, recv.LostPackets, max(sent.Packets, recv.Packets), recv.LostPercent)
	}
	retr := "    "
	if sent.Retransmits >= 0 {
		retr = fmt.Sprintf("%4d", sent.Retransmits)
	}
	return fmt.Sprintf("%s  %s             sender\n", head(sent), retr) +
		fmt.Sprintf("%s                  receiver\n", head(recv))
}

// Bytes formats a byte count like iperf3 (binary units).
func Bytes(n uint64) string {
	v := float64(n)
	for _, u := range []string{"Bytes", "KBytes", "MBytes", "GBytes"} {
		if v < 1024 || u == "GBytes" {
			if u == "Bytes" {
				return fmt.Sprintf("%4.0f %-6s", v, u)
			}
			return fmt.Sprintf("%5.*f %-6s", precision(v), v, u)
		}
		v /= 1024
	}
	return ""
}

// Rate formats bits per second like iperf3 (decimal units).
func Rate(bps float64) string {
	v := bps
	for _, u := range []string{"bits/sec", "Kbits/sec", "Mbits/sec", "Gbits/sec"} {
		if v < 1000 || u == "Gbits/sec" {
			return fmt.Sprintf("%5.*f %-9s", precision(v), v, u)
		}
		v /= 1000
	}
	return ""
}

func precision(v float64) int {
	switch {
	case v < 9.995:
		return 2
	case v < 99.95:
		return 1
	default:
		return 0
	}
}
