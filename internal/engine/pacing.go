package engine

import (
	"time"

	"golang.org/x/sys/unix"
)

// pacer holds a stream to an average rate, like iperf3's throttle: a block
// may go whenever bytes_sent·8 / elapsed < rate. Averaging (rather than a
// fixed gap per block) absorbs timer overshoot, so the long-run rate is the
// asked one even when single sleeps run late.
type pacer struct {
	bytesPerSec float64
	start       time.Time
	kernelSleep bool // sleep in nanosleep(2), not time.Sleep (kernelSleeps)
}

func newPacer(bitsPerSec uint64, start time.Time) *pacer {
	if bitsPerSec == 0 {
		return nil
	}
	return &pacer{bytesPerSec: float64(bitsPerSec) / 8, start: start}
}

// maxPacingSleep bounds one sleep so a stop is noticed quickly.
const maxPacingSleep = 50 * time.Millisecond

// wait blocks until sent bytes are within the rate budget; false if the
// test is stopping.
func (p *pacer) wait(sent uint64, t *testRun) bool {
	for {
		if t.stopping.Load() {
			return false
		}
		due := p.start.Add(time.Duration(float64(sent) / p.bytesPerSec * float64(time.Second)))
		d := time.Until(due)
		if d <= 0 {
			return true
		}
		p.sleep(min(d, maxPacingSleep))
	}
}

func (p *pacer) sleep(d time.Duration) {
	if !p.kernelSleep {
		time.Sleep(d)
		return
	}
	ts := unix.NsecToTimespec(int64(d))
	_ = unix.Nanosleep(&ts, nil) // EINTR: the loop checks the time again
}

// kernelSleeps makes the pacer sleep in nanosleep(2) on the caller's
// thread, which the caller keeps locked while it sends. A UDP sender
// sleeps thousands of times a second, and time.Sleep parks the goroutine
// and readies it from a timer: the scheduler's spinning threads then keep
// the other core busy, the core a stock iperf3 receiver (a select and a
// recv per datagram) needs. Beside it an iperf3 server lost 13-16% of 1
// Gbit/s; sleeping in the kernel, 0.13-0.63% (iperf3's own sender: 0.12-2.8%).
func (p *pacer) kernelSleeps() *pacer {
	if p != nil {
		p.kernelSleep = true
	}
	return p
}
