package engine

import (
	"fmt"
	"time"

	"github.com/cnibench/cnibench/internal/iperf3"
	"github.com/cnibench/cnibench/internal/version"
)

// toParams is the parameters JSON the client sends for spec.
func toParams(s Spec) iperf3.Params {
	p := iperf3.DefaultParams()
	p.TCP = s.Protocol == TCP
	p.UDP = s.Protocol == UDP
	p.Omit = int(s.Omit / time.Second)
	if s.Bytes == 0 && s.Blocks == 0 {
		p.Time = int(s.Duration / time.Second)
	} else {
		p.Time = 0
	}
	p.Num, p.BlockCount = s.Bytes, s.Blocks
	p.MSS, p.NoDelay = s.MSS, s.NoDelay
	p.Parallel = s.Streams
	p.Reverse, p.Bidirectional = s.Reverse, s.Bidir
	p.Window, p.Len, p.Bandwidth = s.Window, s.Length, s.Rate
	p.Title, p.Congestion = s.Title, s.Congestion
	p.GetServerOutput = s.GetServerOutput
	p.ZeroCopy = s.ZeroCopy
	p.Discard = s.Discard
	p.UDPCounters64 = s.UDPCounters64
	p.ClientVersion = "cnibench " + version.Get().Version
	return p
}

// i_errno values the server refuses parameters with (iperf_api.h).
const (
	errnoNumStreams int32 = 6  // IENUMSTREAMS: streams out of range
	errnoOmit       int32 = 12 // IEOMIT: bogus --omit
	errnoNoSCTP     int32 = 18 // IENOSCTP
	errnoBlockSize  int32 = 20 // IEUDPBLOCKSIZE: "block size invalid"
)

// fromParams is the spec a server runs for the parameters it received,
// checked against its limits. The error carries the i_errno to send.
// Every number is checked before it is converted: a hostile client must
// not wrap a duration past the server's maximum.
func fromParams(p iperf3.Params, lim Limits) (Spec, *ServerError, error) {
	refuse := func(code int32, format string, args ...any) (Spec, *ServerError, error) {
		return Spec{}, &ServerError{Code: code}, fmt.Errorf(format, args...)
	}
	if p.SCTP {
		return refuse(errnoNoSCTP, "params ask for SCTP")
	}
	proto := TCP
	if p.UDP { // iperf3: the last protocol key wins, and udp comes after tcp
		proto = UDP
	}
	switch {
	case p.Time < 0 || p.Num < 0 || p.BlockCount < 0 || p.Window < 0 || p.MSS < 0:
		return refuse(iperf3.ErrnoInitTest, "negative value in params")
	case p.Omit < 0:
		return refuse(errnoOmit, "negative omit in params")
	case p.Num == 0 && p.BlockCount == 0 && p.Time == 0:
		// iperf3 -t 0: a test without end, longer than any maximum.
		return refuse(iperf3.ErrnoMaxDuration, "params ask for a test without end; the server's maximum is %v", lim.maxDuration())
	}
	maxSec := int64(lim.maxDuration() / time.Second)
	if t, o := int64(p.Time), int64(p.Omit); t > maxSec || o > maxSec || t+o > maxSec {
		return refuse(iperf3.ErrnoMaxDuration, "test of %d s (+%d s omitted) exceeds the server's maximum %v", t, o, lim.maxDuration())
	}
	streams := p.Parallel
	if p.Bidirectional {
		streams *= 2
	}
	if p.Parallel < 1 || p.Parallel > lim.maxStreams() || streams > lim.maxStreams() {
		return refuse(errnoNumStreams, "%d streams out of the server's range 1..%d", p.Parallel, lim.maxStreams())
	}
	if minLen, maxLen := blockSizeRange(proto); p.Len < minLen || p.Len > maxLen {
		return refuse(errnoBlockSize, "%s block size %d out of range %d..%d", proto, p.Len, minLen, maxLen)
	}
	s := Spec{
		Protocol: proto, Duration: time.Duration(p.Time) * time.Second, Bytes: p.Num, Blocks: p.BlockCount,
		Streams: p.Parallel, Reverse: p.Reverse, Bidir: p.Bidirectional, Rate: p.Bandwidth,
		Length: p.Len, Window: p.Window, MSS: p.MSS, Congestion: p.Congestion, NoDelay: p.NoDelay,
		Omit: time.Duration(p.Omit) * time.Second, Title: p.Title, GetServerOutput: p.GetServerOutput,
		ZeroCopy: p.ZeroCopy, UDPCounters64: p.UDPCounters64, Discard: p.Discard && proto == TCP,
	}
	norm, err := s.Normalize()
	if err != nil {
		return s, &ServerError{Code: iperf3.ErrnoInitTest}, err
	}
	norm.Rate = s.Rate // the client's rate stands as sent (0 = unlimited, even for UDP)
	return norm, nil, nil
}

// blockSizeRange is the -l a server accepts for proto.
func blockSizeRange(proto Protocol) (int, int) {
	if proto == UDP {
		return MinUDPLength, MaxUDPLength
	}
	return 1, MaxTCPLength
}
