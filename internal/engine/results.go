package engine

import (
	"github.com/cnibench/cnibench/internal/iperf3"
)

// localTotals is one stream's figures over the measured part, this side only.
type localTotals struct {
	bytes       uint64
	packets     int64
	errors      int64
	outOfOrder  int64
	jitter      float64 // seconds
	retransmits int64   // -1 when unknown
	tcp         tcpAccumulator
}

func (t *testRun) totals(i int) localTotals {
	s, f, o := t.streams[i], t.final[i], t.omitMarks[i]
	lt := localTotals{bytes: f.bytes - o.bytes, retransmits: -1, tcp: s.tcpinfo}
	if s.udp {
		lt.packets = f.packets - o.packets
		lt.errors = f.errors - o.errors
		lt.outOfOrder = f.ooo - o.ooo
		lt.jitter = f.jitter
	}
	if s.tcp != nil && s.sender && s.tcpinfo.samples > 0 {
		lt.retransmits = int64(f.retrans - o.retrans)
	}
	return lt
}

// senderHasRetransmits is iperf3's flag: -1 for a pure receiver, 1 when a
// TCP sender reads retransmits from TCP_INFO, 0 otherwise.
func (t *testRun) senderHasRetransmits() int64 {
	sends := false
	for _, s := range t.streams {
		if s.sender {
			sends = true
		}
	}
	switch {
	case !sends:
		return -1
	case t.spec.Protocol == TCP:
		return 1
	default:
		return 0
	}
}

// exchangeResults is what this side sends in EXCHANGE_RESULTS.
func (t *testRun) exchangeResults(congestion string) iperf3.Results {
	r := iperf3.Results{
		CPUUtilTotal: t.cpuTotal, CPUUtilUser: t.cpuUser, CPUUtilSystem: t.cpuSys,
		SenderHasRetransmits: t.senderHasRetransmits(),
		CongestionUsed:       congestion,
		Modes:                t.modes.names(),
	}
	el := t.elapsed()
	for i, s := range t.streams {
		lt := t.totals(i)
		r.Streams = append(r.Streams, iperf3.StreamResults{
			ID: s.id, Bytes: lt.bytes, Retransmits: lt.retransmits, Jitter: lt.jitter,
			Errors: lt.errors, Packets: lt.packets, StartTime: 0, EndTime: el,
		})
	}
	return r
}

// result joins this side's figures with the peer's into a Result, from
// this side's point of view (local = this side).
func (t *testRun) result(peer *iperf3.Results) *Result {
	res := &Result{Spec: t.spec, Intervals: t.intervals, Modes: t.modes.names()}
	byID := map[int]iperf3.StreamResults{}
	if peer != nil {
		for _, ps := range peer.Streams {
			byID[ps.ID] = ps
		}
		res.CPU.RemoteTotal, res.CPU.RemoteUser, res.CPU.RemoteSystem = peer.CPUUtilTotal, peer.CPUUtilUser, peer.CPUUtilSystem
		res.PeerModes = peer.Modes
	}
	res.CPU.HostTotal, res.CPU.HostUser, res.CPU.HostSystem = t.cpuTotal, t.cpuUser, t.cpuSys
	el := t.elapsed()
	var fwd, rev []Stream
	for i, s := range t.streams {
		lt := t.totals(i)
		local := Totals{End: el, Seconds: el, Bytes: lt.bytes, Sender: s.sender, Retransmits: lt.retransmits}
		if s.tcp != nil && s.sender && lt.tcp.samples > 0 {
			local.MaxSndCwnd, local.MaxSndWnd = lt.tcp.maxCwnd, lt.tcp.maxWnd
			local.MaxRTT, local.MinRTT, local.MeanRTT = lt.tcp.maxRTT, lt.tcp.minRTT, lt.tcp.meanRTT()
		}
		ps, ok := byID[s.id]
		remote := Totals{Sender: s.sender, Retransmits: -1}
		if ok {
			remote.Bytes = ps.Bytes
			remote.End = ps.EndTime - ps.StartTime
			remote.Seconds = remote.End
		}
		st := Stream{ID: s.id, Sender: s.sender}
		if s.sender {
			st.Sent, st.Received = local, remote
			if s.udp {
				st.Sent.Packets = lt.packets
				st.Received.Packets, st.Received.LostPackets, st.Received.JitterMs = ps.Packets, ps.Errors, ps.Jitter*1000
				st.Received.OutOfOrder = -1 // the peer does not report it
			}
		} else {
			st.Sent, st.Received = remote, local
			st.Sent.Retransmits = -1
			if ok && ps.Retransmits >= 0 {
				st.Sent.Retransmits = ps.Retransmits
			}
			if s.udp {
				st.Sent.Packets = ps.Packets
				st.Received.Packets, st.Received.LostPackets, st.Received.JitterMs = lt.packets, lt.errors, lt.jitter*1000
				st.Received.OutOfOrder = lt.outOfOrder
			}
		}
		finishTotals(&st.Sent)
		finishTotals(&st.Received)
		if s.udp {
			st.Received.LostPercent = lostPercent(st.Received.LostPackets, max(st.Sent.Packets, st.Received.Packets))
		}
		if t.spec.Bidir && !s.sender {
			rev = append(rev, st)
		} else {
			fwd = append(fwd, st)
		}
		res.Streams = append(res.Streams, st)
	}
	res.SumSent, res.SumReceived = sumStreams(fwd)
	if t.spec.Bidir {
		s, r := sumStreams(rev)
		res.SumSentReverse, res.SumReceivedReverse = &s, &r
	}
	return res
}

func finishTotals(x *Totals) { x.BitsPerSecond = bps(x.Bytes, x.Seconds) }

func lostPercent(lost, packets int64) float64 {
	if packets <= 0 {
		return 0
	}
	return 100 * float64(lost) / float64(packets)
}

// sumStreams adds streams of one direction, like iperf3's sum_sent/sum_received.
func sumStreams(streams []Stream) (sent, recv Totals) {
	sent.Retransmits, recv.Retransmits = -1, -1
	for i, st := range streams {
		if i == 0 {
			sent.Sender, recv.Sender = st.Sender, st.Sender
		}
		sent.Bytes += st.Sent.Bytes
		recv.Bytes += st.Received.Bytes
		sent.End = max(sent.End, st.Sent.End)
		recv.End = max(recv.End, st.Received.End)
		if st.Sent.Retransmits >= 0 {
			sent.Retransmits = max(sent.Retransmits, 0) + st.Sent.Retransmits
		}
		sent.Packets += st.Sent.Packets
		recv.Packets += st.Received.Packets
		recv.LostPackets += st.Received.LostPackets
		recv.JitterMs += st.Received.JitterMs / float64(len(streams))
		if st.Received.OutOfOrder > 0 {
			recv.OutOfOrder += st.Received.OutOfOrder
		}
	}
	sent.Seconds, recv.Seconds = sent.End, recv.End
	finishTotals(&sent)
	finishTotals(&recv)
	recv.LostPercent = lostPercent(recv.LostPackets, max(sent.Packets, recv.Packets))
	return sent, recv
}
