// Package delayline holds every packet that a TUN device hands it for a
// fixed time, then gives it back to the kernel: a known delay on a lab path.
// The lab needs one as ground truth for latency, and this kernel has no
// sch_netem (no qdisc that delays), so the delay is made in user space.
//
// The kernel routes the packets to delay out of a TUN device; the line
// reads each one, stamps its arrival, sleeps until arrival+delay with an
// absolute CLOCK_MONOTONIC sleep (tens of µs of slack, where Go's timers
// can be a millisecond late), and writes it back into the same device, where
// the kernel receives it as if it came in on that device and routes it on.
// Policy routing tells the two passes apart (see Route).
package delayline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// MaxDelay bounds the delay: a line holds at most QueueLen packets, and a
// lab delay is a WAN's, not a satellite's.
const MaxDelay = time.Second

// QueueLen is how many packets the line holds at once; beyond it packets
// are dropped and counted, as a full router queue would.
const QueueLen = 8192

// maxPacket is the largest packet a TUN device hands over (its MTU is at
// most 65535).
const maxPacket = 65536

// Stats counts what a line did.
type Stats struct {
	Packets uint64 // delayed and sent on
	Dropped uint64 // arrived while QueueLen packets were held
	Late    uint64 // sent more than 200 µs after their due time
}

// Line delays the packets of one TUN device.
type Line struct {
	tun   *os.File
	delay time.Duration
	queue chan packet
	pool  sync.Pool
	stats struct{ packets, dropped, late atomic.Uint64 }
}

type packet struct {
	buf *[]byte
	n   int
	due int64 // CLOCK_MONOTONIC ns
}

// OpenTUN creates the TUN device name (no packet-information header) in the
// network namespace of the calling thread: call it inside netns.Do. The
// device lives as long as the returned file is open.
//
// like: ip tuntap add dev NAME mode tun
func OpenTUN(name string) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/net/tun: %w (the kernel needs CONFIG_TUN)", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("tun device %q: %w", name, err)
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("create tun device %s: %w", name, err)
	}
	// Non-blocking, so the file uses Go's poller and Close ends a Read.
	return os.NewFile(uintptr(fd), "/dev/net/tun:"+name), nil
}

// New makes a line that delays each packet of tun by delay. It does not own
// tun: the caller closes it after Run has returned.
func New(tun *os.File, delay time.Duration) (*Line, error) {
	if delay < 0 || delay > MaxDelay {
		return nil, fmt.Errorf("delay %v out of range: use 0 to %v", delay, MaxDelay)
	}
	l := &Line{tun: tun, delay: delay, queue: make(chan packet, QueueLen)}
	l.pool.New = func() any { b := make([]byte, maxPacket); return &b }
	return l, nil
}

// Run delays packets until ctx ends, then returns. Packets still held then
// are dropped, as a link that goes down drops them.
func (l *Line) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); l.send(ctx) }()
	// A read blocks in the poller; a deadline in the past wakes it when
	// ctx ends, without closing the file that the caller owns.
	stop := context.AfterFunc(ctx, func() { _ = l.tun.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	err := l.receive(ctx)
	cancel()
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// receive reads packets and queues them with their due time.
func (l *Line) receive(ctx context.Context) error {
	for ctx.Err() == nil {
		buf := l.pool.Get().(*[]byte)
		n, err := l.tun.Read(*buf)
		if err != nil {
			l.pool.Put(buf)
			if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("delay line: read: %w", err)
		}
		p := packet{buf: buf, n: n, due: monotonic() + int64(l.delay)}
		select {
		case l.queue <- p:
		default:
			l.stats.dropped.Add(1)
			l.pool.Put(buf)
		}
	}
	return nil
}

// send writes each queued packet back at its due time. Packets leave in
// arrival order; with one delay for all, that is due order too.
func (l *Line) send(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case p := <-l.queue:
			sleepUntil(p.due)
			if late := monotonic() - p.due; late > int64(200*time.Microsecond) {
				l.stats.late.Add(1)
			}
			if _, err := l.tun.Write((*p.buf)[:p.n]); err == nil {
				l.stats.packets.Add(1)
			} else {
				l.stats.dropped.Add(1)
			}
			l.pool.Put(p.buf)
		}
	}
}

// Stats returns the counts so far.
func (l *Line) Stats() Stats {
	return Stats{Packets: l.stats.packets.Load(), Dropped: l.stats.dropped.Load(), Late: l.stats.late.Load()}
}

func monotonic() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// sleepUntil blocks the calling thread until CLOCK_MONOTONIC reaches due
// (ns). The kernel's hrtimer wakes it within its timer slack (50 µs by
// default); Go's own timers would round a sub-millisecond wait up.
func sleepUntil(due int64) {
	ts := unix.NsecToTimespec(due)
	for unix.ClockNanosleep(unix.CLOCK_MONOTONIC, unix.TIMER_ABSTIME, &ts, nil) == unix.EINTR {
	}
}
