package engine

import "time"

// pacer holds a stream to an average rate, like iperf3's throttle: a block
// may go whenever bytes_sent·8 / elapsed < rate. Averaging (rather than a
// fixed gap per block) absorbs timer overshoot, so the long-run rate is the
// asked one even when single sleeps run late.
type pacer struct {
	bytesPerSec float64
	start       time.Time
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
		time.Sleep(min(d, maxPacingSleep))
	}
}
