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
	p.ClientVersion = "cnibench " + version.Get().Version
	return p
}

// fromParams is the spec a server runs for the parameters it received,
// checked against its limits. The error carries the i_errno to send.
func fromParams(p iperf3.Params, lim Limits) (Spec, *ServerError, error) {
	s := Spec{
		Protocol: TCP, Duration: time.Duration(p.Time) * time.Second, Bytes: p.Num, Blocks: p.BlockCount,
		Streams: p.Parallel, Reverse: p.Reverse, Bidir: p.Bidirectional, Rate: p.Bandwidth,
		Length: p.Len, Window: p.Window, MSS: p.MSS, Congestion: p.Congestion, NoDelay: p.NoDelay,
		Omit: time.Duration(p.Omit) * time.Second, Title: p.Title, GetServerOutput: p.GetServerOutput,
	}
	switch {
	case p.UDP && p.TCP:
		return s, &ServerError{Code: 1}, fmt.Errorf("params ask for both tcp and udp")
	case p.UDP:
		s.Protocol = UDP
	}
	if p.Time < 0 || p.Omit < 0 || p.Num < 0 || p.BlockCount < 0 || p.Len < 0 || p.Window < 0 || p.MSS < 0 {
		return s, &ServerError{Code: 1}, fmt.Errorf("negative value in params")
	}
	if s.Bytes == 0 && s.Blocks == 0 && s.Duration == 0 {
		return s, &ServerError{Code: 1}, fmt.Errorf("params ask for a test of no length")
	}
	if s.Length == 0 {
		return s, &ServerError{Code: 1}, fmt.Errorf("params ask for zero-length blocks")
	}
	if s.Protocol == TCP && s.Rate == 0 {
		s.Rate = 0
	}
	if lim.MaxDuration > 0 && s.Duration+s.Omit > lim.MaxDuration {
		return s, &ServerError{Code: 37}, fmt.Errorf("test of %v exceeds the server's maximum %v", s.Duration+s.Omit, lim.MaxDuration)
	}
	if s.Streams > 0 && totalStreams(s) > lim.maxStreams() {
		return s, &ServerError{Code: 4}, fmt.Errorf("%d streams exceed the server's maximum %d", totalStreams(s), lim.maxStreams())
	}
	rate := s.Rate
	norm, err := s.Normalize()
	if err != nil {
		return s, &ServerError{Code: 1}, err
	}
	norm.Rate = rate // the client's rate stands as sent (0 = unlimited, even for UDP)
	return norm, nil, nil
}
