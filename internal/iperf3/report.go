package iperf3

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Report is the document iperf3 -J prints (§8), as Go types whose JSON has
// the same keys, nesting and key order as iperf3 3.12's, so that scripts
// written for iperf3 -J read ours.
//
// Conventions: every integer is an [Int] (3.12 writes -1 as
// 18446744073709551615, 3.7 may write 1.23e+15); a key that iperf3 writes
// only for some protocols, roles or versions is a pointer (or a string)
// with omitempty, so nil means "absent" and a non-nil zero is written. In
// Go 1.26 such a field is set with new, e.g. Socket: new(Int(5)). Keys of
// newer releases that are not modelled are dropped by [ParseReport].
type Report struct {
	Start     ReportStart      `json:"start"`
	Intervals []ReportInterval `json:"intervals"`
	End       ReportEnd        `json:"end"`
	Title     string           `json:"title,omitempty"`
	ExtraData string           `json:"extra_data,omitempty"`
	// ServerOutputJSON is the server's own -J document, when the client
	// asked for it (--get-server-output) and the server ran with -J;
	// ParseReport can read it.
	ServerOutputJSON json.RawMessage `json:"server_output_json,omitempty"`
	ServerOutputText string          `json:"server_output_text,omitempty"`
	// Error is set when the test failed, e.g. "the server is busy running
	// a test. try again later"; start, intervals and end are then partial
	// (3.12: start has only connected, version and system_info; end is {}).
	Error string `json:"error,omitempty"`
}

// ReportStart is the "start" object: the test's setup.
type ReportStart struct {
	Connected  []Connected `json:"connected"` // one per data stream
	Version    string      `json:"version"`   // "iperf 3.12"
	SystemInfo string      `json:"system_info"`
	Timestamp  *Timestamp  `json:"timestamp,omitempty"`
	// ConnectingTo is the client's target (host as typed);
	// AcceptedConnection is the client's address in a server's report.
	ConnectingTo       *HostPort `json:"connecting_to,omitempty"`
	AcceptedConnection *HostPort `json:"accepted_connection,omitempty"`
	Cookie             string    `json:"cookie,omitempty"`
	// TCP only: TCPMSS when -M was given, else TCPMSSDefault (the control
	// socket's MSS).
	TCPMSS        *Int `json:"tcp_mss,omitempty"`
	TCPMSSDefault *Int `json:"tcp_mss_default,omitempty"`
	TargetBitrate *Int `json:"target_bitrate,omitempty"` // bits/s, 0 = unlimited
	FQRate        *Int `json:"fq_rate,omitempty"`        // 3.21
	// Requested window and the buffer sizes read back. 3.12 writes these
	// three keys once per stream (duplicate keys); decoding keeps the last,
	// encoding writes them once.
	SockBufsize  *Int             `json:"sock_bufsize,omitempty"`
	SndbufActual *Int             `json:"sndbuf_actual,omitempty"`
	RcvbufActual *Int             `json:"rcvbuf_actual,omitempty"`
	TestStart    *ReportTestStart `json:"test_start,omitempty"`
}

// Connected describes one data stream's socket.
type Connected struct {
	Socket     Int    `json:"socket"` // file descriptor (any stable number)
	LocalHost  string `json:"local_host"`
	LocalPort  Int    `json:"local_port"`
	RemoteHost string `json:"remote_host"`
	RemotePort Int    `json:"remote_port"`
}

// Timestamp is when the control connection was set up.
type Timestamp struct {
	Time          string `json:"time"` // "Wed, 25 Nov 2026 01:35:36 GMT"
	Timesecs      Int    `json:"timesecs"`
	Timemillisecs *Int   `json:"timemillisecs,omitempty"` // 3.20+
}

// HostPort is a host (name or address) and port.
type HostPort struct {
	Host string `json:"host"`
	Port Int    `json:"port"`
}

// ReportTestStart is "start.test_start": the negotiated test.
type ReportTestStart struct {
	Protocol      string   `json:"protocol"` // "TCP" or "UDP"
	NumStreams    Int      `json:"num_streams"`
	Blksize       Int      `json:"blksize"`
	Omit          Int      `json:"omit"`
	Duration      Int      `json:"duration"`
	Bytes         Int      `json:"bytes"`
	Blocks        Int      `json:"blocks"`
	Reverse       Int      `json:"reverse"` // 0 or 1
	TOS           Int      `json:"tos"`
	TargetBitrate *Int     `json:"target_bitrate,omitempty"` // 3.8+
	Bidir         *Int     `json:"bidir,omitempty"`          // 3.13+
	FQRate        *Int     `json:"fqrate,omitempty"`         // 3.13+
	Interval      *float64 `json:"interval,omitempty"`       // 3.17+
	GSO           *Int     `json:"gso,omitempty"`            // 3.21
	GRO           *Int     `json:"gro,omitempty"`            // 3.21
}

// ReportInterval is one reporting interval. Sum covers the client's
// sending direction (or the only direction); SumBidirReverse the other one
// in bidirectional tests (3.11+).
type ReportInterval struct {
	Streams         []IntervalStream `json:"streams"`
	Sum             IntervalStream   `json:"sum"`
	SumBidirReverse *IntervalStream  `json:"sum_bidir_reverse,omitempty"`
}

// IntervalStream is one stream's (or, without Socket, the sum's) numbers
// for an interval. Which optional keys are present depends on the stream:
//
//	TCP sender with retransmits: Retransmits SndCwnd SndWnd RTT RTTVar PMTU (sum: Retransmits)
//	TCP otherwise:               none
//	UDP sender:                  Packets
//	UDP receiver:                JitterMs LostPackets Packets LostPercent
type IntervalStream struct {
	Socket        *Int     `json:"socket,omitempty"` // nil in sums
	Start         float64  `json:"start"`            // seconds since stream start
	End           float64  `json:"end"`
	Seconds       float64  `json:"seconds"` // single precision in iperf3
	Bytes         Int      `json:"bytes"`
	BitsPerSecond float64  `json:"bits_per_second"`
	Retransmits   *Int     `json:"retransmits,omitempty"`
	SndCwnd       *Int     `json:"snd_cwnd,omitempty"` // bytes
	SndWnd        *Int     `json:"snd_wnd,omitempty"`  // 3.12+
	RTT           *Int     `json:"rtt,omitempty"`      // µs
	RTTVar        *Int     `json:"rttvar,omitempty"`   // µs
	PMTU          *Int     `json:"pmtu,omitempty"`
	Reorder       *Int     `json:"reorder,omitempty"` // 3.20+
	JitterMs      *float64 `json:"jitter_ms,omitempty"`
	LostPackets   *Int     `json:"lost_packets,omitempty"`
	Packets       *Int     `json:"packets,omitempty"`
	LostPercent   *float64 `json:"lost_percent,omitempty"`
	Omitted       bool     `json:"omitted"`
	// Sender is true when the client sends in this direction.
	Sender bool `json:"sender"`
}

// ReportEnd is the "end" object: totals. It is {} in a failed test's report.
type ReportEnd struct {
	// Streams is omitted only when nil; an empty non-nil slice is written as [].
	Streams                 []EndStream     `json:"streams,omitzero"`
	Sum                     *EndTotals      `json:"sum,omitempty"` // UDP only
	SumSent                 *EndTotals      `json:"sum_sent,omitempty"`
	SumReceived             *EndTotals      `json:"sum_received,omitempty"`
	SumBidirReverse         *EndTotals      `json:"sum_bidir_reverse,omitempty"` // UDP bidir
	SumSentBidirReverse     *EndTotals      `json:"sum_sent_bidir_reverse,omitempty"`
	SumReceivedBidirReverse *EndTotals      `json:"sum_received_bidir_reverse,omitempty"`
	CPUUtilizationPercent   *CPUUtilization `json:"cpu_utilization_percent,omitempty"`
	SenderTCPCongestion     string          `json:"sender_tcp_congestion,omitempty"`
	ReceiverTCPCongestion   string          `json:"receiver_tcp_congestion,omitempty"`
}

// EndStream is one stream's totals: Sender and Receiver for TCP, UDP for UDP.
type EndStream struct {
	Sender   *EndTotals `json:"sender,omitempty"`
	Receiver *EndTotals `json:"receiver,omitempty"`
	UDP      *EndTotals `json:"udp,omitempty"`
}

// EndTotals is a stream's or a sum's totals. Optional keys by object:
//
//	end.streams[].sender (TCP, retransmits known): Retransmits MaxSndCwnd MaxSndWnd MaxRTT MinRTT MeanRTT
//	end.streams[].udp: JitterMs LostPackets Packets LostPercent OutOfOrder
//	sum_sent (TCP, retransmits known): Retransmits
//	sum, sum_sent, sum_received (UDP): JitterMs LostPackets Packets LostPercent
//
// Socket is set in end.streams[] only.
type EndTotals struct {
	Socket        *Int     `json:"socket,omitempty"`
	Start         float64  `json:"start"`
	End           float64  `json:"end"`
	Seconds       float64  `json:"seconds"`
	Bytes         Int      `json:"bytes"`
	BitsPerSecond float64  `json:"bits_per_second"`
	Retransmits   *Int     `json:"retransmits,omitempty"`
	Reorder       *Int     `json:"reorder,omitempty"` // 3.20+
	MaxSndCwnd    *Int     `json:"max_snd_cwnd,omitempty"`
	MaxSndWnd     *Int     `json:"max_snd_wnd,omitempty"` // 3.12+
	MaxRTT        *Int     `json:"max_rtt,omitempty"`
	MinRTT        *Int     `json:"min_rtt,omitempty"`
	MeanRTT       *Int     `json:"mean_rtt,omitempty"`
	JitterMs      *float64 `json:"jitter_ms,omitempty"`
	LostPackets   *Int     `json:"lost_packets,omitempty"`
	Packets       *Int     `json:"packets,omitempty"`
	LostPercent   *float64 `json:"lost_percent,omitempty"`
	OutOfOrder    *Int     `json:"out_of_order,omitempty"`
	Sender        bool     `json:"sender"`
}

// CPUUtilization is "end.cpu_utilization_percent"; remote is the peer's.
type CPUUtilization struct {
	HostTotal    float64 `json:"host_total"`
	HostUser     float64 `json:"host_user"`
	HostSystem   float64 `json:"host_system"`
	RemoteTotal  float64 `json:"remote_total"`
	RemoteUser   float64 `json:"remote_user"`
	RemoteSystem float64 `json:"remote_system"`
}

// reportJSON has Report's fields and tags but not its methods.
type reportJSON Report

// MarshalJSON encodes r like iperf3 -J (compact; indent it with
// json.Indent for humans). Nil slices that iperf3 always writes
// (start.connected, intervals, intervals[].streams) are written as [].
// Non-finite floats (NaN, ±Inf) are an error, as with encoding/json.
func (r Report) MarshalJSON() ([]byte, error) {
	if r.Start.Connected == nil {
		r.Start.Connected = []Connected{}
	}
	if r.Intervals == nil {
		r.Intervals = []ReportInterval{}
	}
	for i, iv := range r.Intervals {
		if iv.Streams == nil {
			// Copy before changing the caller's backing array.
			r.Intervals = append([]ReportInterval(nil), r.Intervals...)
			for j := i; j < len(r.Intervals); j++ {
				if r.Intervals[j].Streams == nil {
					r.Intervals[j].Streams = []IntervalStream{}
				}
			}
			break
		}
	}
	return json.Marshal(reportJSON(r))
}

// ParseReport parses the JSON document printed by iperf3 -J (3.7 … 3.21),
// a server's server_output_json, or our own [Report] JSON. Integers follow
// [Int]; unknown keys are ignored. Only a JSON object is accepted.
func ParseReport(b []byte) (*Report, error) {
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		return nil, errors.New("iperf3: report: not a JSON object")
	}
	var r Report
	if err := json.Unmarshal(b, (*reportJSON)(&r)); err != nil {
		return nil, fmt.Errorf("iperf3: report: %w", err)
	}
	if string(r.ServerOutputJSON) == "null" {
		r.ServerOutputJSON = nil
	}
	return &r, nil
}
