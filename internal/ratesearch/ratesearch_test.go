package ratesearch

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

// model is a simulated path: a shaper of the given capacity behind a
// sender that reaches at most senderMax; under overload the receiver gets
// the capacity, or less when it livelocks. Trials numbered in noisy lose
// a burst the path did not cause.
type model struct {
	capacity, senderMax float64
	livelock            bool
	noisy               map[int]float64 // trial number (from 1) → extra loss
	failAt              float64         // a trial at or above this rate returns an error
	trials              int
}

func (m *model) trial(_ context.Context, rate float64) (Trial, error) {
	m.trials++
	if m.failAt > 0 && rate >= m.failAt {
		return Trial{}, errors.New("server went away")
	}
	sent := m.senderMax
	if rate > 0 {
		sent = math.Min(rate, m.senderMax)
	}
	recv := math.Min(sent, m.capacity)
	if m.livelock && sent > m.capacity {
		recv = m.capacity * math.Pow(m.capacity/sent, 2)
	}
	loss := 1 - recv/sent
	if extra := m.noisy[m.trials]; extra > 0 {
		loss += extra
		recv *= 1 - extra
	}
	return Trial{SentBps: sent, ReceivedBps: recv, Loss: loss, Packets: int64(sent / 8 / 1400)}, nil
}

func TestSearch(t *testing.T) {
	const g = 1e9
	inf := math.Inf(1)
	for _, tc := range []struct {
		name           string
		cfg            Config
		m              model
		wantLo, wantHi float64 // the rate found
		wantFound      bool
		wantSender     bool // sender-limited
		maxTrials      int
	}{
		{"lossless path, unbounded start", Config{}, model{capacity: inf, senderMax: 5 * g},
			5 * g, 5 * g, true, true, 1},
		{"lossless path, start at a link rate", Config{StartBps: 1.1 * g}, model{capacity: inf, senderMax: 5 * g},
			5 * g, 5 * g, true, true, 4},
		{"shaped path", Config{StartBps: 1.1 * g}, model{capacity: 0.9709 * g, senderMax: 10 * g},
			0.9709 * g * (1 - DefaultResolution), 0.9709 * g, true, false, 4},
		{"shaped path, unbounded start", Config{}, model{capacity: 0.9709 * g, senderMax: 3 * g},
			0.9709 * g * (1 - DefaultResolution), 0.9709 * g, true, false, 4},
		{"path carries the start rate", Config{StartBps: g}, model{capacity: 1.5 * g, senderMax: 10 * g},
			1.5 * g * (1 - DefaultResolution), 1.5 * g, true, false, 12},
		{"sender-limited", Config{StartBps: 1.1 * g}, model{capacity: 0.97 * g, senderMax: 0.5 * g},
			0.5 * g, 0.5 * g, true, true, 1},
		{"sender-limited, unbounded start", Config{}, model{capacity: 0.97 * g, senderMax: 0.5 * g},
			0.5 * g, 0.5 * g, true, true, 1},
		{"sender just short of the path", Config{}, model{capacity: 0.97 * g, senderMax: 0.96 * g},
			0.96 * g, 0.96 * g, true, true, 1},
		{"noisy loss under the guess", Config{StartBps: 1.1 * g}, model{capacity: 0.9709 * g, senderMax: 10 * g, noisy: map[int]float64{2: 0.003}},
			0.9709 * g * (1 - DefaultResolution), 0.9709 * g, true, false, 5},
		{"noisy loss twice", Config{StartBps: 1.1 * g}, model{capacity: 0.9709 * g, senderMax: 10 * g, noisy: map[int]float64{2: 0.003, 4: 0.005}},
			0.9709 * g * (1 - DefaultResolution), 0.9709 * g, true, false, 7},
		{"noise is not repeated under a strict threshold", Config{StartBps: 1.1 * g, LossThreshold: Strict}, model{capacity: 0.9709 * g, senderMax: 10 * g, noisy: map[int]float64{2: 1e-5}},
			0.4 * g, 0.9709 * g, true, false, 12},
		{"receiver livelock", Config{StartBps: 10 * g}, model{capacity: 2.5 * g, senderMax: 20 * g, livelock: true},
			2.5 * g * (1 - DefaultResolution), 2.5 * g, true, false, 12},
		{"nothing passes", Config{StartBps: g, MaxTrials: 8}, model{capacity: 0, senderMax: 10 * g},
			0, 0, false, false, 8},
		{"coarse resolution", Config{StartBps: 1.1 * g, Resolution: 0.05}, model{capacity: 0.9 * g, senderMax: 10 * g},
			0.9 * g * 0.95, 0.9 * g, true, false, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Search(context.Background(), tc.cfg, tc.m.trial)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range res.Steps {
				t.Logf("trial %2d: offered %8.2f sent %8.2f received %8.2f Mbit/s, loss %.4f%%, passed %v, sender-limited %v, repeat %v",
					i+1, s.OfferedBps/1e6, s.SentBps/1e6, s.ReceivedBps/1e6, 100*s.Loss, s.Passed, s.SenderLimited, s.Repeat)
			}
			if res.Found != tc.wantFound || res.SenderLimited != tc.wantSender {
				t.Errorf("found %v sender-limited %v, want %v %v", res.Found, res.SenderLimited, tc.wantFound, tc.wantSender)
			}
			if res.RateBps < tc.wantLo || res.RateBps > tc.wantHi {
				t.Errorf("rate %.6g, want %.6g..%.6g", res.RateBps, tc.wantLo, tc.wantHi)
			}
			if len(res.Steps) > tc.maxTrials {
				t.Errorf("%d trials, want at most %d", len(res.Steps), tc.maxTrials)
			}
			if res.Found != (res.Best != nil) {
				t.Errorf("Best %v with Found %v", res.Best, res.Found)
			}
			if tc.wantFound && tc.wantHi-tc.wantLo < 0.02*tc.wantHi && !res.Converged {
				t.Errorf("not converged after %d trials", len(res.Steps))
			}
			if res.SenderLimited && res.SenderBps != res.RateBps {
				t.Errorf("sender-limited at %.6g, rate %.6g: want the sender's ceiling", res.SenderBps, res.RateBps)
			}
			for i, s := range res.Steps {
				if s.Passed && s.Loss > DefaultLossThreshold {
					t.Errorf("step %d passed with loss %v", i, s.Loss)
				}
				if i > 0 && s.OfferedBps > res.Steps[0].SentBps*(1+DefaultSenderTolerance) && res.Steps[0].SenderLimited {
					t.Errorf("step %d offered %.6g, above the sender's ceiling %.6g", i, s.OfferedBps, res.Steps[0].SentBps)
				}
			}
			if best := res.Best; best != nil && tc.m.noisy == nil && best.Loss > DefaultLossThreshold {
				t.Errorf("best trial lost %v", best.Loss)
			}
		})
	}
}

func TestSearchErrors(t *testing.T) {
	m := &model{capacity: 1e9, senderMax: 1e10, failAt: 1e9}
	if _, err := Search(context.Background(), Config{StartBps: 2e9}, m.trial); err == nil {
		t.Error("a failing trial: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Search(ctx, Config{StartBps: 2e9}, (&model{capacity: 1e9, senderMax: 1e10}).trial); !errors.Is(err, ErrNoTrial) {
		t.Errorf("cancelled: %v, want ErrNoTrial", err)
	}
	for _, cfg := range []Config{
		{StartBps: -1}, {StartBps: math.Inf(1)}, {StartBps: math.NaN()}, {StartBps: 1e9, LossThreshold: 1},
		{StartBps: 1e9, Resolution: -0.1}, {StartBps: 1e9, MaxTrials: 1}, {StartBps: 1e9, SenderTolerance: 2},
		{StartBps: 1e9, Settle: -time.Second}, {StartBps: 1e9, Settle: time.Hour},
	} {
		if _, err := Search(context.Background(), cfg, (&model{capacity: 1e9, senderMax: 1e10}).trial); err == nil {
			t.Errorf("config %+v: no error", cfg)
		}
	}
}

// TestSearchSettle: after a trial that lost datagrams the search pauses
// before the next (here a minute, cut short by the context); after
// lossless ones it goes on at once (a pause would hang the test for
// minutes).
func TestSearchSettle(t *testing.T) {
	for _, tc := range []struct {
		name       string
		m          model
		cancel     bool // end the context after the first trial
		wantTrials int
	}{
		// A noisy loss is repeated at once, without the loop's check of the
		// context: only the pause stops the repeat.
		{"lossy first trial: pauses, the context ends the pause", model{capacity: math.Inf(1), senderMax: 1e10, noisy: map[int]float64{1: 0.003}}, true, 1},
		{"lossless trials: no pause", model{capacity: math.Inf(1), senderMax: 5e9}, false, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			trial := func(ctx context.Context, bps float64) (Trial, error) {
				if tc.cancel {
					defer cancel() // the pause starts with the context done
				}
				return tc.m.trial(ctx, bps)
			}
			_, err := Search(ctx, Config{StartBps: 2e9, Settle: time.Minute}, trial)
			if (err != nil) != tc.cancel || (err != nil && !errors.Is(err, context.Canceled)) {
				t.Errorf("error %v, want one: %v (context.Canceled)", err, tc.cancel)
			}
			if tc.m.trials != tc.wantTrials {
				t.Errorf("%d trials, want %d", tc.m.trials, tc.wantTrials)
			}
		})
	}
}
