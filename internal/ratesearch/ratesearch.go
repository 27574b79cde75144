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
)

// Defaults of Config.
const (
	DefaultLossThreshold   = 0.001 // 0.1%
	DefaultResolution      = 0.005 // stop when the bracket is within 0.5% of its top
	DefaultMaxTrials       = 12
	DefaultSenderTolerance = 0.02 // a sender 2% under the offered rate is sender-limited
)

// Trial is what one fixed-rate test measured.
type Trial struct {
	OfferedBps  float64 `json:"offered_bps"`  // the rate asked of the sender
	SentBps     float64 `json:"sent_bps"`     // the rate it achieved
	ReceivedBps float64 `json:"received_bps"` // delivered payload rate
	Loss        float64 `json:"loss"`         // fraction of datagrams lost, 0..1
	JitterMs    float64 `json:"jitter_ms"`
	Packets     int64   `json:"packets"` // datagrams sent
}

// TrialFunc runs one test at rateBps. An error ends the search with it:
// a failed test is not a lost one.
type TrialFunc func(ctx context.Context, rateBps float64) (Trial, error)

// Config bounds a search.
type Config struct {
	MaxBps          float64 // the first rate offered (a line rate); required
	LossThreshold   float64 // 0 = DefaultLossThreshold
	Resolution      float64 // 0 = DefaultResolution
	MaxTrials       int     // 0 = DefaultMaxTrials
	SenderTolerance float64 // 0 = DefaultSenderTolerance
}

func (c Config) withDefaults() (Config, error) {
	if c.LossThreshold == 0 {
		c.LossThreshold = DefaultLossThreshold
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
	case !(c.MaxBps > 0) || math.IsInf(c.MaxBps, 0):
		return c, fmt.Errorf("maximum rate %v: give the line rate to start from, e.g. 1e9 bit/s", c.MaxBps)
	case c.LossThreshold < 0 || c.LossThreshold >= 1:
		return c, fmt.Errorf("loss threshold %v out of range: use a fraction in [0, 1), e.g. 0.001 for 0.1%%", c.LossThreshold)
	case c.Resolution < 0 || c.Resolution >= 1:
		return c, fmt.Errorf("resolution %v out of range: use a fraction in (0, 1), e.g. 0.005", c.Resolution)
	case c.MaxTrials < 2 || c.MaxTrials > 64:
		return c, fmt.Errorf("max trials %d out of range: use 2..64", c.MaxTrials)
	case c.SenderTolerance < 0 || c.SenderTolerance >= 1:
		return c, fmt.Errorf("sender tolerance %v out of range: use a fraction in [0, 1)", c.SenderTolerance)
	}
	return c, nil
}

// Step is one trial of a search and what it decided.
type Step struct {
	Trial
	Passed        bool `json:"passed"`                   // loss within the threshold
	SenderLimited bool `json:"sender_limited,omitempty"` // the sender fell short of the offered rate
}

// Result is a search's answer.
type Result struct {
	// RateBps is the highest offered rate that passed; with Found false no
	// rate passed and it is 0.
	RateBps float64 `json:"rate_bps"`
	Found   bool    `json:"found"`
	// Best is the passing trial at RateBps (its packets/s and jitter are
	// the path's at that rate).
	Best *Trial `json:"best,omitempty"`
	// Converged: the bracket [highest pass, lowest fail] narrowed to the
	// resolution, or the first rate passed (the path carries MaxBps).
	Converged bool `json:"converged"`
	// SenderLimited: the sender could not offer a rate the search asked
	// for, so RateBps is what it did send. That is the sender's own limit
	// (CPU) or the path's backpressure: a qdisc whose queue counts against
	// the sending socket's memory holds a local sender back instead of
	// dropping (the lab's shaped uplinks do), and then the rate that passed
	// is the path's.
	SenderLimited bool   `json:"sender_limited,omitempty"`
	Steps         []Step `json:"steps"`
}

// ErrNoTrial is returned by Search when the context ended before any trial.
var ErrNoTrial = errors.New("rate search: no trial ran")

// Search runs trials until the loss-free rate is bracketed within the
// resolution or MaxTrials ran. It offers MaxBps first. After the first
// failure it offers just under the rate the receiver got (on a shaped path
// that is the capacity, so one guess lands near the answer); otherwise it
// bisects between the highest rate that passed and the lowest that failed.
// A received rate is never taken as a bound: a receiver in livelock gets
// less than it can take without loss.
func Search(ctx context.Context, cfg Config, trial TrialFunc) (Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Result{}, err
	}
	var res Result
	lo, hi := 0.0, cfg.MaxBps // highest pass (0: none yet), lowest fail or untestable rate
	next, guessed := cfg.MaxBps, false
	for len(res.Steps) < cfg.MaxTrials {
		if err := ctx.Err(); err != nil {
			if len(res.Steps) == 0 {
				return res, ErrNoTrial
			}
			return res, fmt.Errorf("rate search stopped after %d trials: %w", len(res.Steps), err)
		}
		t, err := trial(ctx, next)
		if err != nil {
			return res, fmt.Errorf("rate search trial at %.4g bit/s: %w", next, err)
		}
		t.OfferedBps = next
		s := Step{Trial: t, Passed: t.Loss <= cfg.LossThreshold, SenderLimited: t.SentBps < next*(1-cfg.SenderTolerance)}
		res.Steps = append(res.Steps, s)
		passedAt := next
		if s.SenderLimited {
			// Nothing above what the sender reached can be offered.
			res.SenderLimited = true
			hi, passedAt = math.Min(hi, t.SentBps), t.SentBps
		}
		switch {
		case s.Passed && passedAt > lo:
			lo, res.RateBps, res.Found = passedAt, passedAt, true
			best := t
			res.Best = &best
		case !s.Passed:
			hi = math.Min(hi, next)
		}
		if hi-lo <= cfg.Resolution*hi {
			res.Converged = true
			return res, nil
		}
		next = (lo + hi) / 2
		if guess := t.ReceivedBps * (1 - cfg.Resolution/2); !s.Passed && !guessed && guess > lo && guess < hi {
			next, guessed = guess, true
		}
	}
	return res, nil
}
