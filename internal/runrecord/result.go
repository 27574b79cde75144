package runrecord

import (
	"encoding/json"
	"net/netip"
	"time"

	"github.com/cnibench/cnibench/internal/stats"
)

// Result is one test's full engine result as the record keeps it: the same
// fields and JSON as the engine's Result (iperf3's -J names), owned here so
// cnibench.run/v1 stays what it is when an engine struct changes. The run
// (internal/bench) maps the engine's into this in one place; docs/run-json.md
// describes each field.
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

	// SumSent and SumReceived cover the measured direction (client→server,
	// or server→client when Spec.Reverse); bidir adds the reverse one.
	SumSent            Totals  `json:"sum_sent"`
	SumReceived        Totals  `json:"sum_received"`
	SumSentReverse     *Totals `json:"sum_sent_reverse,omitempty"`
	SumReceivedReverse *Totals `json:"sum_received_reverse,omitempty"`

	CPU                CPU    `json:"cpu"`
	SenderCongestion   string `json:"sender_congestion,omitempty"`
	ReceiverCongestion string `json:"receiver_congestion,omitempty"`
	MSS                int    `json:"mss,omitempty"`
	// Modes is how the client side moved its bytes beyond a plain read or
	// write per block (tcp-rcvlowat, udp-gso, udp-gro, sendfile,
	// tcp-discard); PeerModes the server side's, as it sent them in its
	// results (absent from records before it, and from a stock iperf3
	// server: unknown, not plain).
	Modes     []string `json:"modes,omitempty"`
	PeerModes []string `json:"peer_modes,omitempty"`

	ServerOutputJSON json.RawMessage `json:"server_output_json,omitempty"`
	ServerOutputText string          `json:"server_output_text,omitempty"`

	ConnectRTT *RTT `json:"connect_rtt,omitempty"` // nil when no probe was asked for
}

// Spec is what the test measured, with the engine's defaults filled in
// (durations in nanoseconds).
type Spec struct {
	Protocol        stats.Protocol `json:"protocol"`
	Duration        time.Duration  `json:"duration"`
	Bytes           int64          `json:"bytes,omitempty"`
	Blocks          int64          `json:"blocks,omitempty"`
	Streams         int            `json:"streams"`
	Reverse         bool           `json:"reverse,omitempty"`
	Bidir           bool           `json:"bidir,omitempty"`
	Rate            uint64         `json:"rate,omitempty"`
	Length          int            `json:"length"` // bytes per write (TCP) or per datagram (UDP)
	Window          int            `json:"window,omitempty"`
	MSS             int            `json:"mss,omitempty"`
	Congestion      string         `json:"congestion,omitempty"`
	NoDelay         bool           `json:"no_delay,omitempty"`
	ZeroCopy        bool           `json:"zero_copy,omitempty"`
	Discard         bool           `json:"discard,omitempty"` // TCP received without the copy (mode tcp-discard)
	UDPCounters64   bool           `json:"udp_counters_64,omitempty"`
	Omit            time.Duration  `json:"omit,omitempty"`
	Interval        time.Duration  `json:"interval,omitempty"`
	Family          int            `json:"family,omitempty"` // 1: IPv4 only (-4), 2: IPv6 only (-6)
	Title           string         `json:"title,omitempty"`
	GetServerOutput bool           `json:"get_server_output,omitempty"`
	ConnectTimeout  time.Duration  `json:"connect_timeout,omitempty"`
	RTTProbes       int            `json:"rtt_probes,omitempty"`
}

// RTT is the idle round-trip time of the TCP handshakes before the test.
type RTT struct {
	Probes    int       `json:"probes"`
	Failed    int       `json:"failed"`
	SamplesUs []float64 `json:"samples_us"`
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
	SumReverse *IntervalStream  `json:"sum_reverse,omitempty"`
}

// IntervalStream is one stream's (or a sum's) figures over one interval.
type IntervalStream struct {
	ID            int     `json:"id,omitempty"`
	Start         float64 `json:"start"`
	End           float64 `json:"end"`
	Seconds       float64 `json:"seconds"`
	Bytes         uint64  `json:"bytes"`
	BitsPerSecond float64 `json:"bits_per_second"`
	Sender        bool    `json:"sender"`
	Omitted       bool    `json:"omitted"`
	HasTCPInfo    bool    `json:"has_tcp_info,omitempty"`
	Retransmits   int64   `json:"retransmits,omitempty"`
	SndCwnd       int64   `json:"snd_cwnd,omitempty"`
	SndWnd        int64   `json:"snd_wnd,omitempty"`
	RTT           int64   `json:"rtt,omitempty"`
	RTTVar        int64   `json:"rttvar,omitempty"`
	PMTU          int64   `json:"pmtu,omitempty"`
	Packets       int64   `json:"packets,omitempty"`
	LostPackets   int64   `json:"lost_packets,omitempty"`
	JitterMs      float64 `json:"jitter_ms,omitempty"`
}

// Stream is one data stream's totals, both ends.
type Stream struct {
	ID       int    `json:"id"`
	Sender   bool   `json:"sender"`
	Sent     Totals `json:"sent"`
	Received Totals `json:"received"`
}

// Totals is a stream's or a direction's figures over the test (after omit).
type Totals struct {
	Start         float64 `json:"start"`
	End           float64 `json:"end"`
	Seconds       float64 `json:"seconds"`
	Bytes         uint64  `json:"bytes"`
	BitsPerSecond float64 `json:"bits_per_second"`
	Sender        bool    `json:"sender"`
	Retransmits   int64   `json:"retransmits"` // -1 when unknown
	MaxSndCwnd    int64   `json:"max_snd_cwnd,omitempty"`
	MaxSndWnd     int64   `json:"max_snd_wnd,omitempty"`
	MaxRTT        int64   `json:"max_rtt,omitempty"`
	MinRTT        int64   `json:"min_rtt,omitempty"`
	MeanRTT       int64   `json:"mean_rtt,omitempty"`
	Packets       int64   `json:"packets,omitempty"`
	LostPackets   int64   `json:"lost_packets,omitempty"`
	LostPercent   float64 `json:"lost_percent,omitempty"`
	OutOfOrder    int64   `json:"out_of_order,omitempty"`
	JitterMs      float64 `json:"jitter_ms,omitempty"`
}

// CPU is each end's CPU use in percent of one core: host = the client,
// remote = the server.
type CPU struct {
	HostTotal    float64 `json:"host_total"`
	HostUser     float64 `json:"host_user"`
	HostSystem   float64 `json:"host_system"`
	RemoteTotal  float64 `json:"remote_total"`
	RemoteUser   float64 `json:"remote_user"`
	RemoteSystem float64 `json:"remote_system"`
}

// Goodput is the measured direction's rate in bits/s as the receiver saw
// it: what cnibench reports as throughput.
func (r *Result) Goodput() float64 { return r.SumReceived.BitsPerSecond }

// statsSample is what the statistics read of a successful result: goodput,
// transport figures, each side's CPU (the sender is the client unless the
// test ran in reverse; with bidir both send, and the busier side counts
// for both) and the connect RTT.
func (r *Result) statsSample() stats.Sample {
	s := stats.Sample{
		Goodput:     r.Goodput(),
		Retransmits: r.SumSent.Retransmits,
		LostPercent: r.SumReceived.LostPercent,
		JitterMs:    r.SumReceived.JitterMs,
		SenderCPU:   r.CPU.HostTotal,
		ReceiverCPU: r.CPU.RemoteTotal,
		OfferedBps:  float64(r.Spec.Rate) * float64(max(r.Spec.Streams, 1)),
		SentBps:     r.SumSent.BitsPerSecond,
	}
	if r.Spec.Reverse {
		s.SenderCPU, s.ReceiverCPU = s.ReceiverCPU, s.SenderCPU
	}
	if r.Spec.Bidir {
		s.SenderCPU = max(s.SenderCPU, s.ReceiverCPU)
		s.ReceiverCPU = s.SenderCPU
	}
	if rtt := r.ConnectRTT; rtt != nil {
		s.RTTProbes, s.RTTSamples, s.RTTMedianUs = rtt.Probes, len(rtt.SamplesUs), rtt.MedianUs
	}
	return s
}

// ipVersion is 4 or 6, the family of the address the test connected to
// (its control connection's remote end, else its first stream's); 0 when
// the result does not say.
func (r *Result) ipVersion() int {
	remotes := []string{r.Remote}
	for _, c := range r.Connected {
		remotes = append(remotes, c.Remote)
	}
	for _, a := range remotes {
		if ap, err := netip.ParseAddrPort(a); err == nil {
			if ap.Addr().Unmap().Is4() {
				return 4
			}
			return 6
		}
	}
	return 0
}
