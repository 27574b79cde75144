package engine

import (
	"net"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// A TCP receiver is woken by the kernel as soon as any data is queued, so
// at high rates it wakes, reads a little and parks again on the netpoller
// many times per block: that park/wake cycle is most of what the Go
// receiver costs beyond iperf3's select loop (docs/performance.md). The
// receive low-water mark (SO_RCVLOWAT) makes the kernel wake the reader
// only when lowatWindow of the measured rate is queued, so each read
// returns a large chunk. It adapts to the rate, so a slow link's bytes are
// still counted within about lowatWindow of their arrival; the interval
// sampler lowers it when the rate falls (a reader parked for a mark that a
// slower flow fills late cannot see the clock); and it drops to one byte
// for the drain at the end, so every byte of a bounded test is counted.
const (
	lowatWindow = time.Millisecond // how much of the rate a read may wait for
	lowatMax    = 512 << 10        // and never more than this
	lowatEvery  = 32               // reads between two looks at the rate
)

// lowat adapts one TCP receiver's SO_RCVLOWAT to its rate. The reader's
// goroutine owns everything but set, which the sampler may lower.
type lowat struct {
	setsockopt func(v int) error // nil: adapting is off
	set        atomic.Int64      // the low-water mark in force (1: the kernel's default)
	off        atomic.Bool       // the kernel refused it: read as before
	reads      int
	bytes      int
	since      time.Time
}

func newLowat(c *net.TCPConn) *lowat {
	l := &lowat{}
	l.set.Store(1)
	if c != nil {
		l.since = time.Now()
		l.setsockopt = func(v int) error {
			return withFD(c, func(fd int) error { return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVLOWAT, v) })
		}
	}
	return l
}

// observe counts one read of n bytes and, every lowatEvery reads, adapts
// the mark; the hot loop reads no clock in between. It reports whether a
// mark above one byte is in force.
func (l *lowat) observe(n int) bool {
	if l == nil || l.setsockopt == nil || l.off.Load() {
		return false
	}
	l.reads++
	l.bytes += n
	if l.reads >= lowatEvery {
		l.adapt(time.Now())
	}
	return l.set.Load() > 1
}

// adapt sets the mark to lowatWindow of the rate since the last look,
// when that is more than twice or less than half of the mark in force.
func (l *lowat) adapt(now time.Time) {
	want := 1
	if elapsed := now.Sub(l.since); elapsed > 0 {
		want = int(float64(l.bytes) * float64(lowatWindow) / float64(elapsed))
	}
	want = min(max(want, 1), lowatMax)
	l.reads, l.bytes, l.since = 0, 0, now
	if set := int(l.set.Load()); want <= set*2 && want >= set/2 {
		return
	}
	l.apply(want)
}

// lower is the sampler's check after an interval in which the receiver
// read bytes in secs: a mark above what the rate fills in twice
// lowatWindow comes down to what it fills in one.
func (l *lowat) lower(bytes uint64, secs float64) {
	if l == nil || l.setsockopt == nil || l.off.Load() || secs <= 0 {
		return
	}
	want := int(float64(bytes) * lowatWindow.Seconds() / secs)
	if set := l.set.Load(); set > 1 && int64(want) < set/2 {
		l.apply(want)
	}
}

func (l *lowat) apply(v int) {
	v = min(max(v, 1), lowatMax)
	if err := l.setsockopt(v); err != nil {
		l.off.Store(true)
		return
	}
	l.set.Store(int64(v))
	if l.off.Load() { // the drain began meanwhile: it wins
		_ = l.setsockopt(1)
		l.set.Store(1)
	}
}

// drop sets the mark back to one byte for good, from the drain's
// goroutine: every queued byte is readable at once, and a reader parked
// for more is woken.
func (l *lowat) drop() {
	if l == nil || l.setsockopt == nil || l.off.Swap(true) {
		return
	}
	_ = l.setsockopt(1)
	l.set.Store(1)
}
