package cli

import (
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/cnibench/cnibench/internal/units"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/engine"
)

// printer shows a run's progress to people: on a terminal one live line
// (test i/n, scenario, repeat, the running test's rate over its last
// interval or the finished test's, elapsed and remaining time) redrawn in
// place; elsewhere one timestamped line per finished test.
// Notes get a line of their own either way.
type printer struct {
	w   io.Writer
	tty bool
	now func() time.Time

	mu      sync.Mutex
	line    string    // the live line's text without its clock
	rate    string    // the running test's last interval, e.g. "now 953.2 Mbit/s"
	started time.Time // of the running test
	cur     bench.Progress
	running bool
	stop    chan struct{}
	done    chan struct{}
}

// newPrinter writes progress to w; tty selects the live line.
func newPrinter(w io.Writer, tty bool) *printer {
	p := &printer{w: w, tty: tty, now: time.Now}
	if tty {
		p.stop, p.done = make(chan struct{}), make(chan struct{})
		go p.tick()
	}
	return p
}

// tick redraws the live line twice a second so its clocks move.
func (p *printer) tick() {
	defer close(p.done)
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			if p.running {
				p.draw()
			}
			p.mu.Unlock()
		}
	}
}

// Close stops the live line and clears it.
func (p *printer) Close() {
	if !p.tty {
		return
	}
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.line != "" {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.line = ""
	}
}

// Note prints msg on a line of its own.
func (p *printer) Note(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s\n", msg)
		if p.line != "" {
			p.draw()
		}
		return
	}
	fmt.Fprintf(p.w, "%s %s\n", p.stamp(), msg)
}

// TestStarted shows the test on the live line (nothing elsewhere).
func (p *printer) TestStarted(pr bench.Progress) {
	if !p.tty {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cur, p.started, p.running, p.rate = pr, p.now(), true, ""
	p.line = fmt.Sprintf("[%*d/%d] %s", digits(pr.Total), pr.Index, pr.Total, testLabel(pr.Test))
	p.draw()
}

// TestInterval shows the running test's rate over its last interval on
// the live line (nothing elsewhere).
func (p *printer) TestInterval(pr bench.Progress, iv engine.Interval) {
	if !p.tty {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.running || pr.Index != p.cur.Index {
		return
	}
	p.rate = "now " + units.FormatRate(iv.Sum.BitsPerSecond)
	if iv.Sum.Omitted {
		p.rate = "warm-up " + units.FormatRate(iv.Sum.BitsPerSecond)
	}
	p.draw()
}

// TestFinished prints the test's rate (or failure): on the live line, or
// as a timestamped line.
func (p *printer) TestFinished(pr bench.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	result, errMsg := finishedResult(pr)
	if p.tty {
		p.running, p.rate = false, ""
		p.cur = pr
		p.line = fmt.Sprintf("[%*d/%d] %s: %s", digits(pr.Total), pr.Index, pr.Total, testLabel(pr.Test), result)
		if errMsg != "" {
			fmt.Fprintf(p.w, "\r\x1b[K%s failed: %s\n", pr.Test, errMsg)
		}
		p.draw()
		return
	}
	if errMsg != "" {
		result = "FAILED: " + errMsg
	}
	fmt.Fprintf(p.w, "%s [%*d/%d] %s: %s (elapsed %s, ~%s left)\n", p.stamp(), digits(pr.Total), pr.Index, pr.Total,
		pr.Test, result, clock(pr.Elapsed), clock(pr.Remaining))
}

// draw rewrites the live line with its clocks; p.mu is held.
func (p *printer) draw() {
	elapsed, left := p.cur.Elapsed, p.cur.Remaining
	if p.running {
		d := p.now().Sub(p.started)
		elapsed += d
		left = max(0, left-d)
	}
	line := p.line
	if p.rate != "" {
		line += " · " + p.rate
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s · %s elapsed, ~%s left", line, clock(elapsed), clock(left))
}

func (p *printer) stamp() string { return p.now().Format("15:04:05") }

// testLabel is a test as the live line shows it.
func testLabel(t bench.Test) string {
	s := fmt.Sprintf("%s %s ×%d, repeat %d/%d", t.Scenario.Name, t.Protocol, t.Streams, t.Repeat, t.Repeats)
	if t.Latency != "" {
		s = fmt.Sprintf("%s %s, repeat %d/%d", t.Scenario.Name, t.Latency, t.Repeat, t.Repeats)
	}
	if t.Variant != "" {
		s = t.Variant + ": " + s
	}
	return s
}

func digits(n int) int { return len(fmt.Sprint(n)) }

// clock formats a duration as m:ss (or h:mm:ss).
func clock(d time.Duration) string {
	s := int(math.Round(d.Seconds()))
	if s < 0 {
		s = 0
	}
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
