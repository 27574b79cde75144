package engine

import (
	"fmt"
	"time"
)

// Protocol is the transport a test measures.
type Protocol string

const (
	TCP Protocol = "tcp"
	UDP Protocol = "udp"
)

// Family restricts the address family, like iperf3's -4/-6.
type Family int

const (
	AnyFamily Family = iota
	IPv4
	IPv6
)

// Defaults, matching iperf3 3.12 unless said otherwise.
const (
	DefaultPort     = 5201
	DefaultDuration = 10 * time.Second
	DefaultInterval = time.Second
	// DefaultTCPLength is 1 MiB, not iperf3's 128 KiB: on loopback and fast
	// links it moves more per syscall (see docs/performance.md). The length
	// goes to the peer in the parameters, so a stock iperf3 uses it too;
	// -l 128K gives iperf3's exact default.
	DefaultTCPLength = 1 << 20
	DefaultUDPLength = 1460    // iperf3 uses the control socket's MSS; 1460 when unknown
	DefaultUDPRate   = 1 << 20 // iperf3's UDP default rate, bits/s per stream
	MaxStreams       = 128     // iperf3's MAX_STREAMS
	MaxUDPLength     = 65507
	MinUDPLength     = 16
	MaxTCPLength     = 1 << 20 // iperf3's MAX_BLOCKSIZE for -l
	MaxRTTProbes     = 1000    // Spec.RTTProbes: about 10 s of probing at most on a fast path
)

// Spec is what one test measures. The zero value of every field means
// "the default" (iperf3's, except DefaultTCPLength); Normalize fills them in.
type Spec struct {
	Protocol   Protocol      `json:"protocol"`
	Duration   time.Duration `json:"duration"`          // measured time after Omit; ignored when Bytes or Blocks > 0
	Bytes      int64         `json:"bytes,omitempty"`   // -n: stop after this many bytes (all streams)
	Blocks     int64         `json:"blocks,omitempty"`  // -k: stop after this many blocks/datagrams
	Streams    int           `json:"streams"`           // -P, per direction
	Reverse    bool          `json:"reverse,omitempty"` // -R: server sends
	Bidir      bool          `json:"bidir,omitempty"`   // --bidir: both send
	Rate       uint64        `json:"rate,omitempty"`    // -b: bits/s per stream, 0 = unlimited (UDP: DefaultUDPRate)
	Length     int           `json:"length"`            // -l: block (TCP) or datagram (UDP) size in bytes; UDP 0 = path MSS
	Window     int           `json:"window,omitempty"`  // -w: SO_SNDBUF/SO_RCVBUF; 0 leaves kernel autotuning on
	MSS        int           `json:"mss,omitempty"`     // -M: TCP_MAXSEG
	Congestion string        `json:"congestion,omitempty"`
	NoDelay    bool          `json:"no_delay,omitempty"`
	ZeroCopy   bool          `json:"zero_copy,omitempty"` // -Z: TCP senders use sendfile(2)
	// Discard: TCP receivers drop the bytes in the kernel (recv with
	// MSG_TRUNC) instead of copying them to the program, so the figure is
	// the network's without the copy every application pays; a stock
	// iperf3 peer ignores it (discard.go).
	Discard         bool          `json:"discard,omitempty"`
	UDPCounters64   bool          `json:"udp_counters_64,omitempty"` // --udp-counters-64bit: 64-bit UDP sequence numbers
	Omit            time.Duration `json:"omit,omitempty"`            // -O: warm-up discarded from results
	Interval        time.Duration `json:"interval,omitempty"`        // -i: reporting interval; 0 = DefaultInterval, <0 = none
	Family          Family        `json:"family,omitempty"`
	Title           string        `json:"title,omitempty"`
	GetServerOutput bool          `json:"get_server_output,omitempty"`
	ConnectTimeout  time.Duration `json:"connect_timeout,omitempty"`
	// RTTProbes is how many TCP handshakes to the server the client times
	// before the test, with the path idle (Result.ConnectRTT); 0 = none.
	RTTProbes int `json:"rtt_probes,omitempty"`
}

// Normalize fills defaults and rejects specs no iperf3 peer would accept.
func (s Spec) Normalize() (Spec, error) {
	if s.Protocol == "" {
		s.Protocol = TCP
	}
	if s.Protocol != TCP && s.Protocol != UDP {
		return s, fmt.Errorf("unknown protocol %q: use tcp or udp", s.Protocol)
	}
	if s.Streams == 0 {
		s.Streams = 1
	}
	if s.Streams < 1 || s.Streams > MaxStreams {
		return s, fmt.Errorf("streams %d out of range: use 1..%d", s.Streams, MaxStreams)
	}
	if s.Duration < 0 || s.Bytes < 0 || s.Blocks < 0 || s.Omit < 0 {
		return s, fmt.Errorf("duration, bytes, blocks and omit must not be negative")
	}
	if s.Duration == 0 && s.Bytes == 0 && s.Blocks == 0 {
		s.Duration = DefaultDuration
	}
	if s.Duration%time.Second != 0 && s.Bytes == 0 && s.Blocks == 0 {
		return s, fmt.Errorf("duration %v: iperf3's protocol carries whole seconds, use e.g. 2s", s.Duration)
	}
	if s.Omit%time.Second != 0 {
		return s, fmt.Errorf("omit %v: iperf3's protocol carries whole seconds", s.Omit)
	}
	if s.Reverse && s.Bidir {
		return s, fmt.Errorf("reverse and bidir are exclusive: choose one")
	}
	if s.Interval == 0 {
		s.Interval = DefaultInterval
	}
	switch s.Protocol {
	case TCP:
		if s.Length == 0 {
			s.Length = DefaultTCPLength
		}
		if s.Length < 1 || s.Length > MaxTCPLength {
			return s, fmt.Errorf("length %d out of range: use 1..%d bytes for TCP", s.Length, MaxTCPLength)
		}
	case UDP:
		if s.Discard {
			return s, fmt.Errorf("discard is for TCP only (a UDP receiver must read each datagram's sequence number): drop it for UDP tests")
		}
		// Length 0 stays 0: the client then uses the control connection's
		// MSS, as iperf3 does (1448 on Ethernet, 32768 on loopback).
		if s.Length != 0 && s.Length < MinUDPLength || s.Length > MaxUDPLength {
			return s, fmt.Errorf("length %d out of range: use %d..%d bytes for UDP", s.Length, MinUDPLength, MaxUDPLength)
		}
		if s.Rate == 0 {
			s.Rate = DefaultUDPRate
		}
	}
	if s.MSS < 0 || s.Window < 0 {
		return s, fmt.Errorf("mss and window must not be negative")
	}
	if s.RTTProbes < 0 || s.RTTProbes > MaxRTTProbes {
		return s, fmt.Errorf("rtt probes %d out of range: use 0..%d", s.RTTProbes, MaxRTTProbes)
	}
	return s, nil
}
