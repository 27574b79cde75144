package engine

import (
	"bytes"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/iperf3"
	"github.com/cnibench/cnibench/internal/version"
	"golang.org/x/sys/unix"
)

// ReportJSON renders r as iperf3's -J document, indented like iperf3's.
func ReportJSON(r *Result, role Role) ([]byte, error) {
	return MarshalReport(ToReport(r, role, ""))
}

// MarshalReport indents a report the way iperf3 -J prints it.
func MarshalReport(rep *iperf3.Report) ([]byte, error) {
	raw, err := json.Marshal(rep)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "\t"); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func ip(i int64) *iperf3.Int { v := iperf3.Int(i); return &v }
func fp(f float64) *float64  { return &f }

// ToReport converts a Result to iperf3's -J document: same keys, nesting
// and meanings, so scripts written for iperf3 -J read ours. host is the
// target as the user typed it ("" = the remote address).
func ToReport(r *Result, role Role, host string) *iperf3.Report {
	s := r.Spec
	udp := s.Protocol == UDP
	rep := &iperf3.Report{Title: s.Title}
	st := &rep.Start
	for _, c := range r.Connected {
		lh, lp := splitHostPort(c.Local)
		rh, rp := splitHostPort(c.Remote)
		st.Connected = append(st.Connected, iperf3.Connected{Socket: iperf3.Int(c.ID), LocalHost: lh, LocalPort: iperf3.Int(lp), RemoteHost: rh, RemotePort: iperf3.Int(rp)})
	}
	st.Version = "cnibench " + version.Get().Version
	st.SystemInfo = systemInfo()
	st.Timestamp = &iperf3.Timestamp{Time: r.Start.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"), Timesecs: iperf3.Int(r.Start.Unix())}
	rh, rp := splitHostPort(r.Remote)
	if role == ClientRole {
		if host == "" {
			host = rh
		}
		st.ConnectingTo = &iperf3.HostPort{Host: host, Port: iperf3.Int(rp)}
	} else {
		st.AcceptedConnection = &iperf3.HostPort{Host: rh, Port: iperf3.Int(rp)}
	}
	st.Cookie = r.Cookie
	if !udp {
		if s.MSS > 0 {
			st.TCPMSS = ip(int64(s.MSS))
		} else {
			st.TCPMSSDefault = ip(int64(r.MSS))
		}
	}
	st.TargetBitrate = ip(int64(s.Rate))
	st.SockBufsize, st.SndbufActual, st.RcvbufActual = ip(int64(s.Window)), ip(0), ip(0)
	proto := "TCP"
	if udp {
		proto = "UDP"
	}
	st.TestStart = &iperf3.ReportTestStart{
		Protocol: proto, NumStreams: iperf3.Int(s.Streams), Blksize: iperf3.Int(s.Length),
		Omit: iperf3.Int(s.Omit / time.Second), Duration: iperf3.Int(s.Duration / time.Second),
		Bytes: iperf3.Int(s.Bytes), Blocks: iperf3.Int(s.Blocks), Reverse: iperf3.Int(b2i(s.Reverse)),
		TargetBitrate: ip(int64(s.Rate)), Bidir: ip(int64(b2i(s.Bidir))),
	}
	for _, iv := range r.Intervals {
		ri := iperf3.ReportInterval{Sum: intervalJSON(iv.Sum, udp, false)}
		for _, is := range iv.Streams {
			ri.Streams = append(ri.Streams, intervalJSON(is, udp, true))
		}
		if iv.SumReverse != nil {
			rev := intervalJSON(*iv.SumReverse, udp, false)
			ri.SumBidirReverse = &rev
		}
		rep.Intervals = append(rep.Intervals, ri)
	}
	end := &rep.End
	for _, sr := range r.Streams {
		if udp {
			u := totalsJSON(sr.Received, true)
			u.Socket = ip(int64(sr.ID))
			u.Sender = sr.Sender
			if u.OutOfOrder == nil { // iperf3 writes its local counter: 0 on a sender
				u.OutOfOrder = ip(0)
			}
			if sr.Sender { // a sending client reports what it sent, with the receiver's loss
				u.Bytes, u.BitsPerSecond = iperf3.Int(sr.Sent.Bytes), sr.Sent.BitsPerSecond
				u.Start, u.End, u.Seconds = sr.Sent.Start, sr.Sent.End, sr.Sent.Seconds
			}
			end.Streams = append(end.Streams, iperf3.EndStream{UDP: u})
			continue
		}
		snd, rcv := totalsJSON(sr.Sent, false), totalsJSON(sr.Received, false)
		snd.Socket, rcv.Socket = ip(int64(sr.ID)), ip(int64(sr.ID))
		if sr.Sent.Retransmits >= 0 {
			snd.MaxSndCwnd, snd.MaxSndWnd = ip(sr.Sent.MaxSndCwnd), ip(sr.Sent.MaxSndWnd)
			snd.MaxRTT, snd.MinRTT, snd.MeanRTT = ip(sr.Sent.MaxRTT), ip(sr.Sent.MinRTT), ip(sr.Sent.MeanRTT)
		}
		end.Streams = append(end.Streams, iperf3.EndStream{Sender: snd, Receiver: rcv})
	}
	end.SumSent, end.SumReceived = totalsJSON(r.SumSent, udp), totalsJSON(r.SumReceived, udp)
	if udp {
		end.SumSent.Sender, end.SumReceived.Sender = true, false
		end.SumSent.JitterMs, end.SumSent.LostPackets, end.SumSent.LostPercent = fp(0), ip(0), fp(0)
		end.Sum = totalsJSON(r.SumReceived, true)
		end.Sum.Packets = ip(max(r.SumSent.Packets, r.SumReceived.Packets))
	}
	if r.SumSentReverse != nil {
		end.SumSentBidirReverse, end.SumReceivedBidirReverse = totalsJSON(*r.SumSentReverse, udp), totalsJSON(*r.SumReceivedReverse, udp)
	}
	c := r.CPU
	end.CPUUtilizationPercent = &iperf3.CPUUtilization{HostTotal: c.HostTotal, HostUser: c.HostUser, HostSystem: c.HostSystem, RemoteTotal: c.RemoteTotal, RemoteUser: c.RemoteUser, RemoteSystem: c.RemoteSystem}
	end.SenderTCPCongestion, end.ReceiverTCPCongestion = r.SenderCongestion, r.ReceiverCongestion
	rep.ServerOutputJSON, rep.ServerOutputText = r.ServerOutputJSON, r.ServerOutputText
	return rep
}

func intervalJSON(is IntervalStream, udp, stream bool) iperf3.IntervalStream {
	out := iperf3.IntervalStream{Start: is.Start, End: is.End, Seconds: is.Seconds, Bytes: iperf3.Int(is.Bytes), BitsPerSecond: is.BitsPerSecond, Omitted: is.Omitted, Sender: is.Sender}
	if stream {
		out.Socket = ip(int64(is.ID))
	}
	switch {
	case udp && is.Sender:
		out.Packets = ip(is.Packets)
	case udp:
		out.JitterMs, out.LostPackets, out.Packets = fp(is.JitterMs), ip(is.LostPackets), ip(is.Packets)
		out.LostPercent = fp(lostPercent(is.LostPackets, is.Packets))
	case is.HasTCPInfo:
		out.Retransmits = ip(is.Retransmits)
		if stream {
			out.SndCwnd, out.SndWnd, out.RTT, out.RTTVar, out.PMTU = ip(is.SndCwnd), ip(is.SndWnd), ip(is.RTT), ip(is.RTTVar), ip(is.PMTU)
		}
	}
	return out
}

func totalsJSON(t Totals, udp bool) *iperf3.EndTotals {
	out := &iperf3.EndTotals{Start: t.Start, End: t.End, Seconds: t.Seconds, Bytes: iperf3.Int(t.Bytes), BitsPerSecond: t.BitsPerSecond, Sender: t.Sender}
	if !udp && t.Retransmits >= 0 {
		out.Retransmits = ip(t.Retransmits)
	}
	if udp {
		out.JitterMs, out.LostPackets, out.Packets, out.LostPercent = fp(t.JitterMs), ip(t.LostPackets), ip(t.Packets), fp(t.LostPercent)
		if t.OutOfOrder >= 0 {
			out.OutOfOrder = ip(t.OutOfOrder)
		}
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func splitHostPort(a string) (string, int) {
	h, p, err := net.SplitHostPort(a)
	if err != nil {
		return a, 0
	}
	n, _ := strconv.Atoi(p)
	return strings.TrimPrefix(h, "::ffff:"), n
}

// systemInfo is uname's "sysname nodename release version machine", like iperf3's.
func systemInfo() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	f := func(b []byte) string { return string(bytes.TrimRight(b, "\x00")) }
	return strings.Join([]string{f(u.Sysname[:]), f(u.Nodename[:]), f(u.Release[:]), f(u.Version[:]), f(u.Machine[:])}, " ")
}
