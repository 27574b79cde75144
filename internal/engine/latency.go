package engine

import (
	"fmt"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// LatencyMode is the kind of request/response test.
type LatencyMode string

const (
	// RR is one TCP connection (TCP_NODELAY): a request of RequestSize
	// bytes, a response of ResponseSize bytes, back to back.
	RR LatencyMode = "rr"
	// CRR is a new TCP connection per transaction (netperf's TCP_CRR):
	// connect, request, response, close.
	CRR LatencyMode = "crr"
	// UDPRR is a request datagram answered by a response datagram.
	UDPRR LatencyMode = "udp-rr"
)

// Latency test limits and defaults.
const (
	DefaultLatencyDuration = 10 * time.Second
	DefaultLatencyTimeout  = time.Second // per transaction
	MaxLatencySize         = 1 << 20     // TCP request/response bytes
	MinUDPRRSize           = udpRRHeaderSize
	MaxLatencyOutstanding  = 1024
	defaultOutstanding     = 64 // open loop: requests in flight at most
	defaultCRROutstanding  = 16 // open loop crr: connections in flight at most
	histLowestNs           = 1
	histHighestNs          = int64(60 * time.Second)
	histDigits             = 3
)

// LatencySpec is one request/response test. The zero value of a field is
// its default; Normalize fills them in.
type LatencySpec struct {
	Mode LatencyMode `json:"mode"` // "" = RR
	// Duration and Transactions bound the test: it ends at the first
	// reached. Both 0 = DefaultLatencyDuration.
	Duration     time.Duration `json:"duration,omitempty"`
	Transactions int64         `json:"transactions,omitempty"`
	RequestSize  int           `json:"request_size"`  // bytes; 0 = 1 (udp-rr: MinUDPRRSize)
	ResponseSize int           `json:"response_size"` // bytes; 0 = 1 (udp-rr: MinUDPRRSize)
	// Rate, when > 0, makes the test open loop: transactions start at
	// this many per second on a fixed schedule and latency counts from
	// each one's intended start, so a stall shows as latency of every
	// transaction it delayed (no coordinated omission). 0 = closed loop.
	Rate float64 `json:"rate,omitempty"`
	// MaxOutstanding bounds the transactions in flight in open loop; 0 =
	// 64 (crr: 16 connections).
	MaxOutstanding int `json:"max_outstanding,omitempty"`
	// Timeout is how long a transaction may wait for its response: a
	// later udp-rr reply counts as lost, a crr transaction as an error,
	// and rr fails (closed loop: noticed within 2×Timeout). 0 =
	// DefaultLatencyTimeout.
	Timeout        time.Duration `json:"timeout,omitempty"`
	ConnectTimeout time.Duration `json:"connect_timeout,omitempty"` // the setup connection; 0 = Client.HandshakeTimeout
	Family         Family        `json:"family,omitempty"`
}

// sizeLimits are the request/response sizes a mode accepts.
func sizeLimits(m LatencyMode) (lo, hi int) {
	if m == UDPRR {
		return MinUDPRRSize, MaxUDPLength
	}
	return 1, MaxLatencySize
}

// Normalize fills defaults and rejects what the server would refuse.
func (s LatencySpec) Normalize() (LatencySpec, error) {
	if s.Mode == "" {
		s.Mode = RR
	}
	if _, ok := latModeByte[s.Mode]; !ok {
		return s, fmt.Errorf("unknown latency test %q: use rr, crr or udp-rr", s.Mode)
	}
	if s.Duration < 0 || s.Transactions < 0 || s.Rate < 0 || s.Timeout < 0 || s.MaxOutstanding < 0 || s.ConnectTimeout < 0 {
		return s, fmt.Errorf("duration, transactions, rate, timeout and outstanding must not be negative")
	}
	if s.Duration == 0 && s.Transactions == 0 {
		s.Duration = DefaultLatencyDuration
	}
	if s.Duration > time.Duration(1<<32-1)*time.Millisecond {
		return s, fmt.Errorf("duration %v too long: the protocol carries up to 49 days", s.Duration)
	}
	lo, hi := sizeLimits(s.Mode)
	for _, sz := range []*int{&s.RequestSize, &s.ResponseSize} {
		if *sz == 0 {
			*sz = lo
		}
		if *sz < lo || *sz > hi {
			return s, fmt.Errorf("%s message size %d out of range: use %d..%d bytes", s.Mode, *sz, lo, hi)
		}
	}
	if s.Timeout == 0 {
		s.Timeout = DefaultLatencyTimeout
	}
	if s.Rate > 0 && s.MaxOutstanding == 0 {
		s.MaxOutstanding = defaultOutstanding
		if s.Mode == CRR {
			s.MaxOutstanding = defaultCRROutstanding
		}
	}
	if s.Rate == 0 {
		s.MaxOutstanding = 1
	}
	if s.MaxOutstanding > MaxLatencyOutstanding {
		return s, fmt.Errorf("max outstanding %d out of range: use 1..%d", s.MaxOutstanding, MaxLatencyOutstanding)
	}
	return s, nil
}

// LatencyResult is what one request/response test measured, from the
// client. Latency is per transaction: from the request's start (its
// intended start in open loop; connect for crr) to the response's last byte.
type LatencyResult struct {
	Spec   LatencySpec `json:"spec"`
	Start  time.Time   `json:"start"`
	End    time.Time   `json:"end"`
	Local  string      `json:"local,omitempty"` // rr, udp-rr: the measuring socket; crr: the setup connection
	Remote string      `json:"remote,omitempty"`
	// Seconds is the measured time: first request to last response.
	Seconds               float64 `json:"seconds"`
	Transactions          int64   `json:"transactions"` // completed: the histogram's count
	TransactionsPerSecond float64 `json:"transactions_per_second"`
	// Errors are crr transactions that failed (connect refused or timed
	// out, connection reset, refused by the server, no response within
	// Timeout); they are not in the histogram.
	Errors int64 `json:"errors"`
	// udp-rr: requests without a reply within Timeout (a later reply
	// still counts as lost), replies seen twice, and replies that came
	// after the reply of a later request.
	Lost       int64 `json:"lost"`
	Duplicated int64 `json:"duplicated"`
	Reordered  int64 `json:"reordered"`
	// Figures of the histogram in µs (HDR: 3 significant digits). When no
	// transaction completed there is no latency: they stay 0 here and are
	// left out of JSON (a recorded latency is at least 1 ns, never 0).
	MinUs  float64 `json:"min_us,omitempty"`
	MeanUs float64 `json:"mean_us,omitempty"`
	P50Us  float64 `json:"p50_us,omitempty"`
	P90Us  float64 `json:"p90_us,omitempty"`
	P99Us  float64 `json:"p99_us,omitempty"`
	P999Us float64 `json:"p99_9_us,omitempty"`
	MaxUs  float64 `json:"max_us,omitempty"`
	// Histogram is every transaction's latency in nanoseconds as an HDR
	// histogram in its V2 compressed encoding, base64 ("HISTFAAA…", what
	// HdrHistogram's log readers take); DecodeHistogram reads it.
	Histogram string `json:"histogram"`
}

// newLatencyHistogram is the histogram every latency test records into:
// nanoseconds from 1 ns to 60 s at 3 significant digits.
func newLatencyHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowestNs, histHighestNs, histDigits)
}

// record adds one latency; it never allocates. Values beyond the range are
// clamped to it (a 60 s transaction is past any Timeout anyway).
func record(h *hdrhistogram.Histogram, d time.Duration) {
	v := min(max(int64(d), histLowestNs), histHighestNs)
	_ = h.RecordValue(v)
}

// summarize fills the figures and the encoded histogram from h.
func (r *LatencyResult) summarize(h *hdrhistogram.Histogram) error {
	r.Transactions = h.TotalCount()
	if r.Seconds > 0 {
		r.TransactionsPerSecond = float64(r.Transactions) / r.Seconds
	}
	if r.Transactions > 0 {
		us := func(ns int64) float64 { return float64(ns) / 1e3 }
		r.MinUs, r.MeanUs, r.MaxUs = us(h.Min()), h.Mean()/1e3, us(h.Max())
		r.P50Us, r.P90Us = us(h.ValueAtQuantile(50)), us(h.ValueAtQuantile(90))
		r.P99Us, r.P999Us = us(h.ValueAtQuantile(99)), us(h.ValueAtQuantile(99.9))
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return fmt.Errorf("encode latency histogram: %w", err)
	}
	r.Histogram = string(b)
	return nil
}

// DecodeHistogram returns the result's histogram (values in ns).
func (r *LatencyResult) DecodeHistogram() (*hdrhistogram.Histogram, error) {
	h, err := hdrhistogram.Decode([]byte(r.Histogram))
	if err != nil {
		return nil, fmt.Errorf("decode latency histogram: %w", err)
	}
	return h, nil
}
