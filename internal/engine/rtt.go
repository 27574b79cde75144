package engine

import (
	"context"
	"net"
	"slices"
	"time"
)

// RTT probing: Spec.RTTProbes TCP handshakes to the server before the test.
const (
	// rttProbePause is the pause between two probes, and between the last
	// probe and the test: the path and the server see a handshake now and
	// then, not a burst, and 1000 probes still take about 10 s plus their
	// round trips. A stock iperf3 server needs it: it takes each probe for
	// a test that failed, and closes and reopens its listening socket
	// after it, resetting whatever waited in the old one's queue.
	rttProbePause = 10 * time.Millisecond
	// rttProbeTimeout is a probe's dial timeout when Spec.ConnectTimeout
	// is not set: longer than any path we measure, short enough that a
	// dead path does not hold the test up for long.
	rttProbeTimeout = time.Second
	// rttGiveUp is how many probes in a row may fail before the phase
	// stops: a path that refuses or drops that many handshakes will not
	// give a sample, and the test's own connect then says why.
	rttGiveUp = 3
)

// dialTCP dials address over TCP through the client's Network, the way the
// control connection is dialed, and returns how long the dial itself took.
func (c *Client) dialTCP(ctx context.Context, address string, f Family, timeout time.Duration) (net.Conn, time.Duration, error) {
	d := net.Dialer{Timeout: timeout}
	var conn net.Conn
	var took time.Duration
	err := c.network().Do(func() error {
		start := time.Now()
		var err error
		conn, err = d.DialContext(ctx, dialNetwork("tcp", f), address)
		took = time.Since(start)
		return err
	})
	return conn, took, err
}

// probeRTT times up to spec.RTTProbes TCP handshakes to address, one after
// the other, rttProbePause apart. Each probe reads the new socket's
// TCP_INFO tcpi_rtt (Linux initialises the smoothed RTT from the SYN →
// SYN-ACK sample, in µs) and closes the socket at once, before sending
// anything; when the kernel has no sample (tcpi_rtt 0: the SYN was
// retransmitted) the wall time of connect stands in. Failed probes are
// counted and excluded. The phase ends after the last probe (and a pause),
// after rttGiveUp failures in a row, or when ctx ends; Probes is what was
// tried.
func (c *Client) probeRTT(ctx context.Context, address string, spec Spec) *RTT {
	timeout := spec.ConnectTimeout
	if timeout <= 0 {
		timeout = rttProbeTimeout
	}
	r := &RTT{SamplesUs: []float64{}}
	failedInARow := 0
	for i := range spec.RTTProbes {
		if i > 0 && !sleepCtx(ctx, rttProbePause) {
			break
		}
		if ctx.Err() != nil {
			break
		}
		r.Probes++
		us, ok := c.probeOnce(ctx, address, spec.Family, timeout)
		if !ok && ctx.Err() != nil {
			r.Probes-- // cut short, not failed
			break
		}
		if !ok {
			r.Failed++
			if failedInARow++; failedInARow >= rttGiveUp {
				break
			}
			continue
		}
		failedInARow = 0
		r.SamplesUs = append(r.SamplesUs, us)
	}
	if r.Probes > r.Failed {
		sleepCtx(ctx, rttProbePause) // let the server be done with the last probe
	}
	r.summarize()
	return r
}

// probeOnce is one probe: its RTT in µs, or false when it did not connect.
func (c *Client) probeOnce(ctx context.Context, address string, f Family, timeout time.Duration) (float64, bool) {
	conn, took, err := c.dialTCP(ctx, address, f, timeout)
	if err != nil {
		return 0, false
	}
	defer conn.Close()
	if tc, ok := conn.(*net.TCPConn); ok {
		if ti, ok := readTCPInfo(tc); ok && ti.rtt > 0 {
			return float64(ti.rtt), true
		}
	}
	return float64(took) / float64(time.Microsecond), true
}

// summarize fills the figures from the samples: MedianUs is the middle
// sample (the mean of the two middle ones for an even count), P90Us the
// 90th percentile by nearest rank (the ⌈0.9·n⌉-th smallest sample). With
// no samples every figure stays 0.
func (r *RTT) summarize() {
	n := len(r.SamplesUs)
	if n == 0 {
		r.MinUs, r.MedianUs, r.P90Us, r.MaxUs = 0, 0, 0, 0
		return
	}
	s := slices.Clone(r.SamplesUs)
	slices.Sort(s)
	r.MinUs, r.MaxUs = s[0], s[n-1]
	if n%2 == 1 {
		r.MedianUs = s[n/2]
	} else {
		r.MedianUs = (s[n/2-1] + s[n/2]) / 2
	}
	r.P90Us = s[(9*n+9)/10-1] // ⌈9n/10⌉ in integers: 0.9·n in floats can land above a whole rank
}

// sleepCtx waits d, or less if ctx ends first; false when ctx ended.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
