// Package ratesearch finds a path's maximum loss-free UDP rate the way RFC
// 2544 (section 26.1, "Throughput") defines it: the highest offered rate at
// which the receiver gets every frame, here "every" within a loss threshold.
// It only decides which rate to offer next; a Trial function runs the test.
package ratesearch

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Defaults of Config.
const (
	DefaultLossThreshold   = 0.001 // 0.1%
	DefaultResolution      = 0.01  // stop when the bracket is within 1% of its top
	DefaultMaxTrials       = 12
	DefaultSenderTolerance = 0.02 // a sender 2% under the offered rate is sender-limited
	// NoiseFactor: a trial that fails with loss under NoiseFactor times the
	// threshold is repeated once at the same rate, and the rate fails only
	// if the repeat fails too. A sender or receiver briefly descheduled on
	// a busy host loses a burst that is not the path's; a path that loses
	// at that rate loses again.
	NoiseFactor = 10
	// DefaultSettle is the Settle cnibench's searches use. A trial that
	// overran the receiver leaves its socket full (on the lab, small
	// datagrams at the link rate fill the server's 8 MiB socket; at 1
	// Gbit/s a 4 MiB one holds 33 ms), and without the pause the next
	// trial's UDP connect and first datagrams are dropped with the
	// leftovers and counted as its loss.
	DefaultSettle = 500 * time.Millisecond
)

// Trial is what one fixed-rate test measured.
type Trial struct {
	OfferedBps  float64 `json:"offered_bps"`  // the rate asked of the sender; 0 = as fast as it can
	SentBps     float64 `json:"sent_bps"`     // the rate it achieved
	ReceivedBps float64 `json:"received_bps"` // delivered payload rate
	Loss        float64 `json:"loss"`         // fraction of datagrams lost, 0..1
	JitterMs    float64 `json:"jitter_ms"`
	Packets     int64   `json:"packets"` // datagrams sent
}

// TrialFunc runs one test at rateBps (0: as fast as the sender can). An
// error ends the search with it: a failed test is not a lost one.
type TrialFunc func(ctx context.Context, rateBps float64) (Trial, error)

// Config bounds a search.
type Config struct {
	// StartBps is the first rate offered, a little above the path's link
	// rate when that is known; 0 = an unbounded first trial, whose sent
	// rate is the sender's ceiling.
	StartBps        float64
	LossThreshold   float64 // 0 = DefaultLossThreshold; use Strict for none
	Resolution      float64 // 0 = DefaultResolution
	MaxTrials       int     // 0 = DefaultMaxTrials
	SenderTolerance float64 // 0 = DefaultSenderTolerance
	// Settle is the pause after a trial that lost datagrams, before the
	// next: what the receiver could not take may still fill its socket,
	// and would drop the next trial's first datagrams (its UDP connect
	// among them) and count against it. RFC 2544 (section 23) waits 2 s
	// for residual frames. 0 = no pause (DefaultSettle is what cnibench
	// uses).
	Settle time.Duration
}

// Strict is a LossThreshold that lets no datagram be lost.
const Strict = -1

func (c Config) withDefaults() (Config, error) {
	switch c.LossThreshold {
	case 0:
		c.LossThreshold = DefaultLossThreshold
	case Strict:
		c.LossThreshold = 0
	}
	if c.Resolution == 0 {
		c.Resolution = DefaultResolution
	}
	if c.MaxTrials == 0 {
		c.MaxTrials = DefaultMaxTrials
	}
	if c.SenderTolerance == 0 {
		c.SenderTolerance = DefaultSenderTolerance
	}
	switch {
	case c.StartBps < 0 || math.IsInf(c.StartBps, 0) || math.IsNaN(c.StartBps):
		return c, fmt.Errorf("start rate %v: give the line rate to start from, e.g. 1.1e9 bit/s, or 0 to start unbounded", c.StartBps)
	case c.LossThreshold < 0 || c.LossThreshold >= 1:
		return c, fmt.Errorf("loss threshold %v out of range: use a fraction in [0, 1), e.g. 0.001 for 0.1%%", c.LossThreshold)
	case c.Resolution < 0 || c.Resolution >= 1:
		return c, fmt.Errorf("resolution %v out of range: use a fraction in (0, 1), e.g. 0.01", c.Resolution)
	case c.MaxTrials < 2 || c.MaxTrials > 64:
		return c, fmt.Errorf("max trials %d out of range: use 2..64", c.MaxTrials)
	case c.SenderTolerance < 0 || c.SenderTolerance >= 1:
		return c, fmt.Errorf("sender tolerance %v out of range: use a fraction in [0, 1)", c.SenderTolerance)
	case c.Settle < 0 || c.Settle > time.Minute:
		return c, fmt.Errorf("settle %v out of range: use 0 to 1m, e.g. 500ms", c.Settle)
	}
	return c, nil
}

// Step is one trial of a search and what it decided.
type Step struct {
	Trial
	Passed bool `json:"passed"` // loss within the threshold
	// SenderLimited: the sender fell short of the offered rate (always so
	// for an unbounded trial); the trial stands for the rate it sent.
	SenderLimited bool `json:"sender_limited,omitempty"`
	// Repeat: this trial repeated a failed one at the same rate (noise).
	Repeat bool `json:"repeat,omitempty"`
}

// Result is a search's answer.
type Result struct {
	// RateBps is the highest rate that passed; with Found false no rate
	// passed and it is 0.
	RateBps float64 `json:"rate_bps"`
	Found   bool    `json:"found"`
	// Best is the passing trial at RateBps (its packets/s and jitter are
	// the path's at that rate).
	Best *Trial `json:"best,omitempty"`
	// Converged: the bracket [highest pass, lowest fail] narrowed to the
	// resolution, or the path carried all the sender could offer.
	Converged bool `json:"converged"`
	// SenderLimited: the path lost nothing at the most the sender could
	// offer, SenderBps; RateBps is then a floor of the path's rate, not
	// the path's rate.
	SenderLimited bool    `json:"sender_limited,omitempty"`
	SenderBps     float64 `json:"sender_bps,omitempty"`
	Steps         []Step  `json:"steps"`
}

// ErrNoTrial is returned by Search when the context ended before any trial.
var ErrNoTrial = errors.New("rate search: no trial ran")

// search is one search's state: the bracket and how it was closed.
type search struct {
	cfg    Config
	lo, hi float64 // highest rate that passed (0: none); lowest that failed or the sender's ceiling (+Inf: unknown)
	// pathFailed: hi is a rate the path lost datagrams at, not only the
	// most the sender offered.
	pathFailed bool
	res        Result
}

// Search runs trials until the loss-free rate is bracketed within the
// resolution, the path carried all the sender offered, or MaxTrials ran.
//
// The first trial offers StartBps (or is unbounded); its sent rate bounds
// every later offer, since a sender cannot be asked for more than it did
// at full tilt. After the first failure it offers just under what the
// receiver got (on a shaped path that is the capacity), and after that
// guess passes, one resolution step above it, which closes the bracket in
// three trials on a shaped path. Otherwise it bisects between the highest
// rate that passed and the lowest that failed. A received rate is only
// ever a guess, never a bound: a receiver in livelock gets less than it
// can take without loss.
func Search(ctx context.Context, cfg Config, trial TrialFunc) (Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Result{}, err
	}
	s := &search{cfg: cfg, hi: math.Inf(1)}
	next, guess := cfg.StartBps, 0.0
	for len(s.res.Steps) < cfg.MaxTrials {
		if err := ctx.Err(); err != nil {
			if len(s.res.Steps) == 0 {
				return s.res, ErrNoTrial
			}
			return s.res, fmt.Errorf("rate search stopped after %d trials: %w", len(s.res.Steps), err)
		}
		st, err := s.run(ctx, trial, next, false)
		if err != nil {
			return s.res, err
		}
		if !st.Passed && st.Loss <= NoiseFactor*cfg.LossThreshold && len(s.res.Steps) < cfg.MaxTrials {
			if st, err = s.run(ctx, trial, next, true); err != nil {
				return s.res, err
			}
		}
		s.take(st)
		if done := s.closed(); done {
			return s.res, nil
		}
		switch {
		case !st.Passed && guess == 0:
			guess = st.ReceivedBps * (1 - cfg.Resolution/2)
			next = s.inside(guess)
		case st.Passed && guess > 0 && rate(st) == guess:
			next = s.inside(guess * (1 + cfg.Resolution))
		default:
			next = s.inside(0)
		}
	}
	return s.res, nil
}

// run runs and records one trial at rate, after the settle pause when the
// last trial lost datagrams.
func (s *search) run(ctx context.Context, trial TrialFunc, rate float64, repeat bool) (Step, error) {
	if n := len(s.res.Steps); n > 0 && s.res.Steps[n-1].Loss > 0 && s.cfg.Settle > 0 {
		t := time.NewTimer(s.cfg.Settle)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return Step{}, fmt.Errorf("rate search stopped after %d trials: %w", n, ctx.Err())
		}
	}
	t, err := trial(ctx, rate)
	if err != nil {
		return Step{}, fmt.Errorf("rate search trial at %s: %w", rateText(rate), err)
	}
	t.OfferedBps = rate
	st := Step{Trial: t, Passed: t.Loss <= s.cfg.LossThreshold, Repeat: repeat,
		SenderLimited: rate == 0 || t.SentBps < rate*(1-s.cfg.SenderTolerance)}
	s.res.Steps = append(s.res.Steps, st)
	return st, nil
}

// rate is the rate a step stands for: what was offered, or what the sender
// managed when it fell short.
func rate(st Step) float64 {
	if st.SenderLimited {
		return st.SentBps
	}
	return st.OfferedBps
}

// take narrows the bracket by a step (a repeat decides for its rate).
func (s *search) take(st Step) {
	r := rate(st)
	if st.SenderLimited && st.SentBps > 0 {
		s.res.SenderBps = math.Max(s.res.SenderBps, st.SentBps)
		if !s.pathFailed { // nothing above what the sender reached can be offered
			s.hi = math.Min(s.hi, st.SentBps)
		}
	}
	switch {
	case st.Passed && r > s.lo:
		s.lo = r
		best := st.Trial
		s.res.RateBps, s.res.Found, s.res.Best = r, true, &best
	case !st.Passed && r <= s.hi:
		s.hi, s.pathFailed = r, true
	}
}

// closed says whether the search is done, and settles the result.
func (s *search) closed() bool {
	switch {
	case math.IsInf(s.hi, 1):
		return false
	case !s.pathFailed && s.res.Found && s.lo >= s.hi*(1-s.cfg.Resolution):
		// The path carried all the sender could offer.
		s.res.SenderLimited, s.res.Converged = true, true
		return true
	case s.pathFailed && s.hi-s.lo <= s.cfg.Resolution*s.hi:
		s.res.Converged = true
		return true
	}
	return false
}

// inside is want when it lies strictly within the bracket, else the
// bracket's middle: twice the highest pass while no top is known, else the
// geometric middle (the resolution is relative, so a far guess costs few
// trials).
func (s *search) inside(want float64) float64 {
	switch {
	case want > s.lo && want < s.hi:
		return want
	case math.IsInf(s.hi, 1):
		return 2 * s.lo
	case s.lo > 0:
		return math.Sqrt(s.lo * s.hi)
	}
	return s.hi / 2
}

func rateText(bps float64) string {
	if bps == 0 {
		return "an unbounded rate"
	}
	return fmt.Sprintf("%.4g bit/s", bps)
}
