package bench

import (
	"time"

	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runrecord"
)

// Events receives a run's progress. The runner calls it from its own
// goroutine, one call at a time, and waits for each call: keep them short.
type Events interface {
	// Note is a setup step or a decision worth telling: a cluster being
	// built, a server started, a scenario skipped, a plan warning.
	Note(msg string)
	// TestStarted: test p.Index of p.Total is starting.
	TestStarted(p Progress)
	// TestInterval: the running test (p as at TestStarted) reported an
	// interval: iv.Sum is what the client measured over it, the warm-up
	// included (iv.Sum.Omitted). Only clusters that run the client where
	// the engine's interval hook reaches it deliver these (the lab does):
	// expect none at all. Calls come from the engine's goroutine, but never
	// overlap the other calls and never follow the test's TestFinished.
	TestInterval(p Progress, iv engine.Interval)
	// TestFinished: the test ended; p.Sample is its record (Result nil and
	// Error set when it failed). An interrupted test does not finish.
	TestFinished(p Progress)
}

// Progress is where a run stands.
type Progress struct {
	Test      Test
	Index     int           // 1-based, over the whole run
	Total     int           // tests planned (fewer when the cluster cannot run a scenario)
	Elapsed   time.Duration // since the run started
	Remaining time.Duration // estimate, from the tests so far
	Sample    *runrecord.Sample
	// Latency is a finished latency test's record (Sample is nil then).
	Latency *runrecord.LatencySample
	// Run is the record so far: read it during the call only (e.g. to
	// save a checkpoint), never keep or change it.
	Run *runrecord.Run
}

// Rate is the finished test's goodput in bits/s, or 0.
func (p Progress) Rate() float64 {
	if p.Sample == nil || p.Sample.Result == nil {
		return 0
	}
	return p.Sample.Result.Goodput()
}

// NoEvents ignores every event.
type NoEvents struct{}

func (NoEvents) Note(string)                            {}
func (NoEvents) TestStarted(Progress)                   {}
func (NoEvents) TestInterval(Progress, engine.Interval) {}
func (NoEvents) TestFinished(Progress)                  {}
