package engine

import "time"

// tcpAccumulator keeps a sending TCP stream's TCP_INFO figures over the
// measured part of the test (iperf3's max_snd_cwnd, min/mean/max RTT).
type tcpAccumulator struct {
	samples         int64
	rttSum          int64
	minRTT, maxRTT  int64
	maxCwnd, maxWnd int64
}

func (a *tcpAccumulator) add(ti tcpInfo) {
	a.samples++
	a.rttSum += ti.rtt
	if a.samples == 1 || ti.rtt < a.minRTT {
		a.minRTT = ti.rtt
	}
	a.maxRTT = max(a.maxRTT, ti.rtt)
	a.maxCwnd = max(a.maxCwnd, ti.sndCwnd)
	a.maxWnd = max(a.maxWnd, ti.sndWnd)
}

func (a *tcpAccumulator) meanRTT() int64 {
	if a.samples == 0 {
		return 0
	}
	return a.rttSum / a.samples
}

// closeInterval ends the current interval at now: it reads every stream's
// counters, appends an Interval when record is set, and starts the next.
// Called with t.mu held.
func (t *testRun) closeInterval(now time.Time, record bool) {
	secs := now.Sub(t.ivStart).Seconds()
	startOff := t.ivStart.Sub(t.dataStart).Seconds()
	iv := Interval{}
	var sum, rev IntervalStream
	var nSum, nRev int
	bidir := t.spec.Bidir
	for i, s := range t.streams {
		cur := s.mark()
		prev := t.marks[i]
		is := IntervalStream{
			ID: s.id, Start: startOff, End: startOff + secs, Seconds: secs,
			Bytes: cur.bytes - prev.bytes, Sender: s.sender, Omitted: t.omitting,
		}
		is.BitsPerSecond = bps(is.Bytes, secs)
		s.lw.lower(is.Bytes, secs)
		if s.udp {
			is.Packets = cur.packets - prev.packets
			if !s.sender {
				is.LostPackets = cur.errors - prev.errors
				is.JitterMs = cur.jitter * 1000
			}
		}
		if s.tcp != nil && s.sender {
			if ti, ok := readTCPInfo(s.tcp); ok {
				if !t.omitting {
					s.tcpinfo.add(ti)
				}
				is.HasTCPInfo = true
				is.Retransmits = int64(ti.totalRetrans - prev.retrans)
				is.SndCwnd, is.SndWnd, is.RTT, is.RTTVar, is.PMTU = ti.sndCwnd, ti.sndWnd, ti.rtt, ti.rttVar, ti.pmtu
				cur.retrans = ti.totalRetrans
			}
		}
		t.marks[i] = cur
		iv.Streams = append(iv.Streams, is)
		target, n := &sum, &nSum
		if bidir && !s.sender {
			target, n = &rev, &nRev
		}
		addToSum(target, is)
		*n++
	}
	if record {
		finishSum(&sum, startOff, secs, t.omitting, nSum)
		iv.Sum = sum
		if bidir {
			finishSum(&rev, startOff, secs, t.omitting, nRev)
			iv.SumReverse = &rev
		}
		t.intervals = append(t.intervals, iv)
		if t.onInterval != nil {
			t.onInterval(iv)
		}
	}
	t.ivStart = now
}

func addToSum(sum *IntervalStream, is IntervalStream) {
	sum.Bytes += is.Bytes
	sum.Sender = is.Sender
	sum.Packets += is.Packets
	sum.LostPackets += is.LostPackets
	if is.HasTCPInfo {
		sum.HasTCPInfo = true
		sum.Retransmits += is.Retransmits
	}
	sum.JitterMs += is.JitterMs
}

// finishSum closes an interval's sum of n streams. Its jitter is the mean of
// the streams', as in the totals (sumStreams) and in iperf3's interval and
// end sums.
func finishSum(sum *IntervalStream, start, secs float64, omitted bool, n int) {
	if n > 0 {
		sum.JitterMs /= float64(n)
	}
	sum.Start, sum.End, sum.Seconds, sum.Omitted = start, start+secs, secs, omitted
	sum.BitsPerSecond = bps(sum.Bytes, secs)
}

func bps(bytes uint64, secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	return float64(bytes) * 8 / secs
}
