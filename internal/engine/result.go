package engine

import (
	"encoding/json"
	"time"
)

// Result is everything one test measured, from the client's point of view
// (local = client, remote = server). Field meanings follow iperf3's -J output
// so the two can be compared line by line; ToIperf3 renders that document.
type Result struct {
	Spec      Spec         `json:"spec"`
	Cookie    string       `json:"cookie"`
	Start     time.Time    `json:"start"`
	End       time.Time    `json:"end"`
	Local     string       `json:"local"`  // control connection local address
	Remote    string       `json:"remote"` // control connection remote address
	Connected []Connection `json:"connected"`
	Intervals []Interval   `json:"intervals"`
	Streams   []Stream     `json:"streams"`

	// SumSent and SumReceived cover the client→server direction (or, for
	// -R, server→client: the direction the test measures). Bidir adds the
	// reverse direction in SumSentReverse/SumReceivedReverse.
	SumSent            Totals  `json:"sum_sent"`
	SumReceived        Totals  `json:"sum_received"`
	SumSentReverse     *Totals `json:"sum_sent_reverse,omitempty"`
	SumReceivedReverse *Totals `json:"sum_received_reverse,omitempty"`

	CPU                CPU    `json:"cpu"`
	SenderCongestion   string `json:"sender_congestion,omitempty"`
	ReceiverCongestion string `json:"receiver_congestion,omitempty"`
	MSS                int    `json:"mss,omitempty"` // control socket TCP_MAXSEG (tcp_mss_default)
	// Modes is how this side moved its bytes beyond one plain read or
	// write per block (modes.go); PeerModes the other side's, as a
	// cnibench peer sent them in its results (iperf3.ModesKey). A stock
	// iperf3 peer sends none: nil then means unknown, not plain.
	Modes     []string `json:"modes,omitempty"`
	PeerModes []string `json:"peer_modes,omitempty"`

	ServerOutputJSON json.RawMessage `json:"server_output_json,omitempty"`
	ServerOutputText string          `json:"server_output_text,omitempty"`

	// ConnectRTT is the path's idle round-trip time, from Spec.RTTProbes
	// handshakes before the test; nil when none were asked for.
	ConnectRTT *RTT `json:"connect_rtt,omitempty"`
}

// RTT is the round-trip time of TCP handshakes to the server: each probe
// connects (SYN → SYN-ACK), reads the kernel's RTT sample of the new
// socket (TCP_INFO tcpi_rtt; the time connect took when the kernel has
// none) and closes. It is latency with the path idle, through the same
// path as the test (Service DNAT, encapsulation, policy), not under load.
type RTT struct {
	Probes    int       `json:"probes"`     // attempted
	Failed    int       `json:"failed"`     // did not connect; excluded from the figures
	SamplesUs []float64 `json:"samples_us"` // each connected probe's RTT in µs, in order
	MinUs     float64   `json:"min_us"`
	MedianUs  float64   `json:"median_us"`
	P90Us     float64   `json:"p90_us"`
	MaxUs     float64   `json:"max_us"`
}

// Connection is one data stream's socket pair.
type Connection struct {
	ID     int    `json:"id"`
	Local  string `json:"local"`
	Remote string `json:"remote"`
}

// Interval is one reporting period.
type Interval struct {
	Streams    []IntervalStream `json:"streams"`
	Sum        IntervalStream   `json:"sum"`
	SumReverse *IntervalStream  `json:"sum_reverse,omitempty"` // bidir: server→client
}

// IntervalStream is one stream's (or a sum's) figures over one interval.
// TCP_INFO fields are set only for sending TCP streams (HasTCPInfo).
type IntervalStream struct {
	ID            int     `json:"id,omitempty"`
	Start         float64 `json:"start"` // seconds since the streams started
	End           float64 `json:"end"`
	Seconds       float64 `json:"seconds"`
	Bytes         uint64  `json:"bytes"`
	BitsPerSecond float64 `json:"bits_per_second"`
	Sender        bool    `json:"sender"` // true when the local side sends on it
	Omitted       bool    `json:"omitted"`
	HasTCPInfo    bool    `json:"has_tcp_info,omitempty"`
	Retransmits   int64   `json:"retransmits,omitempty"`
	SndCwnd       int64   `json:"snd_cwnd,omitempty"`
	SndWnd        int64   `json:"snd_wnd,omitempty"`
	RTT           int64   `json:"rtt,omitempty"` // µs
	RTTVar        int64   `json:"rttvar,omitempty"`
	PMTU          int64   `json:"pmtu,omitempty"`
	Packets       int64   `json:"packets,omitempty"` // UDP
	LostPackets   int64   `json:"lost_packets,omitempty"`
	JitterMs      float64 `json:"jitter_ms,omitempty"`
}

// Stream is one data stream's totals, both ends.
type Stream struct {
	ID       int    `json:"id"`
	Sender   bool   `json:"sender"`   // the local side sends on this stream
	Sent     Totals `json:"sent"`     // the sending end's view
	Received Totals `json:"received"` // the receiving end's view
}

// Totals is a stream's or a direction's figures over the whole test (after omit).
type Totals struct {
	Start         float64 `json:"start"`
	End           float64 `json:"end"`
	Seconds       float64 `json:"seconds"`
	Bytes         uint64  `json:"bytes"`
	BitsPerSecond float64 `json:"bits_per_second"`
	Sender        bool    `json:"sender"`
	Retransmits   int64   `json:"retransmits"` // -1 when unknown (receiver, UDP, or not Linux)
	MaxSndCwnd    int64   `json:"max_snd_cwnd,omitempty"`
	MaxSndWnd     int64   `json:"max_snd_wnd,omitempty"`
	MaxRTT        int64   `json:"max_rtt,omitempty"` // µs
	MinRTT        int64   `json:"min_rtt,omitempty"`
	MeanRTT       int64   `json:"mean_rtt,omitempty"`
	// UDP
	Packets     int64   `json:"packets,omitempty"`
	LostPackets int64   `json:"lost_packets,omitempty"`
	LostPercent float64 `json:"lost_percent,omitempty"`
	OutOfOrder  int64   `json:"out_of_order,omitempty"`
	JitterMs    float64 `json:"jitter_ms,omitempty"`
}

// CPU is CPU utilisation in percent of one core over the test, like iperf3's
// cpu_utilization_percent: host = the client, remote = the server.
type CPU struct {
	HostTotal    float64 `json:"host_total"`
	HostUser     float64 `json:"host_user"`
	HostSystem   float64 `json:"host_system"`
	RemoteTotal  float64 `json:"remote_total"`
	RemoteUser   float64 `json:"remote_user"`
	RemoteSystem float64 `json:"remote_system"`
}

// Goodput is the measured rate of the test's main direction in bits/s, as the
// receiver saw it: what cnibench reports as "throughput".
func (r *Result) Goodput() float64 { return r.SumReceived.BitsPerSecond }
