package engine

import (
	"errors"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// UDP datagrams carry the sender's CLOCK_MONOTONIC time, as iperf3 3.12
// writes it. We read that clock once and then follow Go's own monotonic
// clock (the same CLOCK_MONOTONIC underneath), so the hot path makes no
// syscall for it.
var (
	monoBase   time.Duration
	monoBaseGo = time.Now()
)

func init() {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err == nil {
		monoBase = time.Duration(ts.Nano())
	}
}

func monotonicAt(t time.Time) (sec, usec uint32) {
	d := monoBase + t.Sub(monoBaseGo)
	return uint32(d / time.Second), uint32((d % time.Second) / time.Microsecond)
}

func monotonicNow() (sec, usec uint32) { return monotonicAt(time.Now()) }

// isBufferFull reports ENOBUFS, which a UDP sender may meet when the
// device queue is full; iperf3 treats it as a dropped datagram.
func isBufferFull(err error) bool { return errors.Is(err, syscall.ENOBUFS) }
