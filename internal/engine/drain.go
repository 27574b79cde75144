package engine

import (
	"time"
)

// A bounded test (-n, -k) ends when the sender has written its bytes and
// sends TEST_END; the receiver then drains what was written before it.
const (
	// drainIdle is how long the receiver waits for one more byte before
	// it takes the data as all there: far longer than a loopback or LAN
	// delivery, short beside a test's setup.
	drainIdle = 50 * time.Millisecond
	// drainMax bounds the whole drain.
	drainMax = 2 * time.Second
)

// bounded reports whether the test ends by bytes or blocks, not by time.
func (s Spec) bounded() bool { return s.Bytes > 0 || s.Blocks > 0 }

// drainReceivers reads, on every receiving TCP stream, the bytes written
// before TEST_END that had not been read yet, so that a bounded test's
// receiver counts every byte the sender wrote. TEST_END travels on the
// control connection and can overtake the data, or be handled before a
// stream's reader has run: iperf3 3.12 then reports too few bytes (on
// loopback `-n 1M` gave a receiver 0 bytes in 5 of 60 runs). The measured
// time ends at the last byte read, or at endAt (TEST_END) if later.
func (t *testRun) drainReceivers(endAt time.Time) {
	until := time.Now().Add(drainMax)
	t.drainUntil.Store(until.UnixNano())
	t.draining.Store(true)
	for _, s := range t.streams {
		if !s.sender && s.tcp != nil {
			s.lw.drop() // what is queued is readable now
			_ = s.conn.SetReadDeadline(t.drainDeadline())
		}
	}
	t.tcpReceivers.Wait()
	for _, s := range t.streams {
		if last := s.lastRead.Load(); last > endAt.UnixNano() {
			endAt = time.Unix(0, last)
		}
	}
	t.mu.Lock()
	t.drainedAt = endAt
	t.mu.Unlock()
}

// drainDeadline is when a draining reader gives up: drainIdle from now,
// and never after the drain's bound.
func (t *testRun) drainDeadline() time.Time {
	d := time.Now().Add(drainIdle)
	if until := time.Unix(0, t.drainUntil.Load()); d.After(until) {
		return until
	}
	return d
}
