package engine

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// testRun is the data phase of one test on one side: its streams, the
// sampler that turns counters into intervals, and the end conditions. The
// client and the server share it; only the control exchange differs.
type testRun struct {
	spec      Spec
	streams   []*stream
	dataStart time.Time
	cpu       cpuClock
	// firstByte is when this side first received data (UnixNano, 0 =
	// not yet): a receiver's measured time starts there (finish).
	firstByte atomic.Int64

	modes    modeSet     // how the streams moved their bytes (modes.go)
	stopping atomic.Bool // senders stop writing
	frozen   atomic.Bool // counters no longer move (after the final sample)

	// End conditions (client only): bytes after omit across all streams.
	limit     int64
	limitOn   atomic.Bool
	total     atomic.Int64
	limitHit  chan struct{}
	limitOnce sync.Once

	errOnce sync.Once
	err     error
	failed  chan struct{}
	ended   chan struct{} // closed by finish or closeAll: the sampler returns
	endOnce sync.Once
	wg      sync.WaitGroup // every stream goroutine
	senders sync.WaitGroup // sending stream goroutines

	// Draining a bounded test's receivers after TEST_END (drain.go).
	tcpReceivers sync.WaitGroup // receiving TCP stream goroutines
	draining     atomic.Bool
	drainUntil   atomic.Int64 // unix ns: the drain's bound

	onInterval func(Interval)
	stopAt     time.Time // when stopSenders was called
	// idle, when set, fails the test when no stream moves a byte for that
	// long (the server's Limits.IdleTimeout, like iperf3's --rcv-timeout).
	idle time.Duration

	mu        sync.Mutex // guards the sampler state below
	omitEnd   time.Time
	omitting  bool
	ivStart   time.Time
	intervals []Interval
	marks     []mark // per stream: counters at the start of the current interval
	omitMarks []mark // per stream: counters when omit ended
	endTime   time.Time
	drainedAt time.Time // when drained: the measured time's end
	final     []mark
	finished  bool
	cpuTotal  float64 // local CPU % over the measured part, set by finish
	cpuUser   float64
	cpuSys    float64
}

// mark is a stream's counters at one moment.
type mark struct {
	bytes   uint64
	packets int64 // UDP sender: datagrams; receiver: highest sequence
	errors  int64
	ooo     int64
	jitter  float64
	retrans uint32
}

func newTestRun(spec Spec, streams []*stream) *testRun {
	t := &testRun{spec: spec, streams: streams, limitHit: make(chan struct{}), failed: make(chan struct{}), ended: make(chan struct{})}
	switch {
	case spec.Bytes > 0:
		t.limit = spec.Bytes
	case spec.Blocks > 0:
		t.limit = spec.Blocks * int64(spec.Length)
	}
	// Last: the server's UDP demultiplexer may deliver to the run (and
	// read limit) as soon as it is stored.
	for _, s := range streams {
		s.run.Store(t)
	}
	return t
}

// start launches one goroutine per stream and the interval sampler.
func (t *testRun) start() {
	t.dataStart = time.Now()
	t.cpu = startCPU()
	t.ivStart = t.dataStart
	t.omitting = t.spec.Omit > 0
	t.omitEnd = t.dataStart.Add(t.spec.Omit)
	t.limitOn.Store(!t.omitting)
	t.marks = make([]mark, len(t.streams))
	t.omitMarks = make([]mark, len(t.streams))
	for _, s := range t.streams {
		t.wg.Add(1)
		tcpReceiver := !s.sender && s.tcp != nil
		if s.sender {
			t.senders.Add(1)
		}
		if tcpReceiver {
			t.tcpReceivers.Add(1)
		}
		go func() {
			defer t.wg.Done()
			if s.sender {
				defer t.senders.Done()
			}
			if tcpReceiver {
				defer t.tcpReceivers.Done()
			}
			if err := s.loop(t); err != nil {
				t.fail(err)
			}
		}()
	}
	go t.sample()
}

// count feeds the -n/-k end condition.
func (t *testRun) count(n int) {
	if t.limit == 0 || !t.limitOn.Load() {
		return
	}
	if t.total.Add(int64(n)) >= t.limit {
		t.limitOnce.Do(func() { close(t.limitHit) })
	}
}

// limitReached reports whether a -n/-k test has moved its bytes: a
// sender checks it before each write, as iperf3 does, so a bounded test
// sends its bytes rounded up to a block per stream, not a block more.
func (t *testRun) limitReached() bool {
	return t.limit > 0 && t.limitOn.Load() && t.total.Load() >= t.limit
}

func (t *testRun) fail(err error) {
	t.errOnce.Do(func() {
		t.err = err
		close(t.failed)
	})
}

// streamErr turns a stream's socket error into nil when we caused it
// (stopping, or the peer closing at the end) and into a named error otherwise.
func (t *testRun) streamErr(s *stream, err error) error {
	if t.stopping.Load() || t.frozen.Load() {
		return nil
	}
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		if !s.sender {
			return nil // the peer ended its side; the control channel says why
		}
	}
	dir := "read"
	if s.sender {
		dir = "write"
	}
	return fmt.Errorf("stream %d %s: %w", s.id, dir, err)
}

// stopSenders makes every sending stream return, and waits for them so
// that the final sample counts every byte that was written.
func (t *testRun) stopSenders() {
	t.stopping.Store(true)
	past := time.Now()
	t.stopAt = past
	for _, s := range t.streams {
		if s.sender && s.conn != nil {
			_ = s.conn.SetWriteDeadline(past)
		}
	}
	t.senders.Wait()
}

// end stops the sampler, which otherwise ticks until finish: a run that
// fails on its control connection never reaches finish.
func (t *testRun) end() { t.endOnce.Do(func() { close(t.ended) }) }

// closeAll closes every data socket and waits for the stream goroutines.
func (t *testRun) closeAll() {
	t.end()
	t.stopping.Store(true)
	t.frozen.Store(true)
	for _, s := range t.streams {
		if s.conn != nil {
			_ = s.conn.Close()
		}
	}
	t.wg.Wait()
}

func (s *stream) mark() mark {
	m := mark{bytes: s.bytes.Load()}
	if s.udp {
		if s.sender {
			m.packets = s.packets.Load()
		} else {
			u := s.recv.snapshot()
			m.packets, m.errors, m.ooo, m.jitter = u.packets, u.errors, u.outOfOrder, u.jitter
		}
	}
	return m
}

// sample ticks the interval clock until the run finishes.
func (t *testRun) sample() {
	if t.idle > 0 {
		go t.watchIdle()
	}
	if t.spec.Interval < 0 && !t.omitting {
		return
	}
	period := t.spec.Interval
	if period < 0 {
		period = time.Hour // intervals off: only the omit boundary matters
	}
	for {
		t.mu.Lock()
		if t.finished {
			t.mu.Unlock()
			return
		}
		next := t.ivStart.Add(period)
		if t.omitting && t.omitEnd.Before(next) {
			next = t.omitEnd
		}
		t.mu.Unlock()
		select {
		case <-time.After(time.Until(next)):
		case <-t.failed:
			return
		case <-t.ended:
			return
		}
		t.mu.Lock()
		if !t.finished {
			now := time.Now()
			t.closeInterval(now, t.spec.Interval > 0)
			if t.omitting && !now.Before(t.omitEnd) {
				t.endOmit(now)
			}
		}
		t.mu.Unlock()
	}
}

// endOmit starts the measured part: counters and the clock restart, as in iperf3.
func (t *testRun) endOmit(now time.Time) {
	t.omitting = false
	t.dataStart = now
	t.ivStart = now
	for i, s := range t.streams {
		t.omitMarks[i] = t.marks[i]
		if s.udp && !s.sender {
			s.recv.resetJitter()
		}
		s.tcpinfo = tcpAccumulator{}
	}
	t.cpu = startCPU()
	t.limitOn.Store(true)
}

// finish takes the final sample; counters stop moving after it.
func (t *testRun) finish() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.finished {
		return
	}
	now := time.Now()
	switch {
	case !t.drainedAt.IsZero():
		now = t.drainedAt // the last byte drained (drain.go)
	case !t.stopAt.IsZero() && !t.receives():
		// A sender's measured time ends when it was told to stop, not after
		// the wait for its last write: that wait moves no bytes.
		now = t.stopAt
	}
	t.frozen.Store(true)
	short := now.Sub(t.ivStart) < t.spec.Interval/10
	t.closeInterval(now, t.spec.Interval > 0 && !short)
	t.startAtFirstByte(now)
	t.finished = true
	t.endTime = now
	t.final = append([]mark(nil), t.marks...)
	t.cpuTotal, t.cpuUser, t.cpuSys = t.cpu.stop()
	t.end()
}

// startAtFirstByte moves a receiver's measured start from TEST_RUNNING to
// its first byte, so the totals time the data from its first byte to its
// last (the end is the last byte drained): the idle lead between the state
// change and the first byte's arrival — a round trip and the sender's start,
// longer on encapsulated and Service paths — is not counted as time without
// data. Only without --omit (after the warm-up data is already flowing) and
// only on a side that does not send (a bidirectional side keeps one clock
// for both directions). Intervals keep the test's clock.
func (t *testRun) startAtFirstByte(end time.Time) {
	if t.spec.Omit > 0 || !t.receives() {
		return
	}
	for _, s := range t.streams {
		if s.sender {
			return
		}
	}
	if fb := t.firstByte.Load(); fb != 0 {
		if at := time.Unix(0, fb); at.After(t.dataStart) && at.Before(end) {
			t.dataStart = at
		}
	}
}

// received notes the arrival of data for the measured start; now is
// called only for the first.
func (t *testRun) received(now func() time.Time) {
	if t.firstByte.Load() == 0 {
		t.firstByte.CompareAndSwap(0, now().UnixNano())
	}
}

// elapsed is the measured duration (after omit) at the final sample.
func (t *testRun) elapsed() float64 { return t.endTime.Sub(t.dataStart).Seconds() }

// watchIdle fails the run when no stream has moved a byte for t.idle.
func (t *testRun) watchIdle() {
	tick := time.NewTicker(t.idle / 4)
	defer tick.Stop()
	var last uint64
	lastMove := time.Now()
	for {
		select {
		case <-t.failed:
			return
		case <-t.ended:
			return
		case now := <-tick.C:
			var moved uint64
			for _, s := range t.streams {
				moved += s.bytes.Load()
			}
			if moved != last {
				last, lastMove = moved, now
			} else if now.Sub(lastMove) > t.idle {
				t.fail(fmt.Errorf("no data on any stream for %v: dropped", t.idle))
				return
			}
		}
	}
}

// receives reports whether any stream on this side receives.
func (t *testRun) receives() bool {
	for _, s := range t.streams {
		if !s.sender {
			return true
		}
	}
	return false
}
