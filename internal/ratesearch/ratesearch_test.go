package ratesearch

import (
	"context"
	"errors"
	"math"
	"testing"
)

// model is a simulated path: a shaper of the given capacity behind a
// sender that reaches at most senderMax; under overload the receiver gets
// the capacity, or less when it livelocks.
type model struct {
	capacity, senderMax float64
	livelock            bool
	failAt              float64 // a trial at or above this rate returns an error
	trials              int
}

func (m *model) trial(_ context.Context, rate float64) (Trial, error) {
	m.trials++
	if m.failAt > 0 && rate >= m.failAt {
		return Trial{}, errors.New("server went away")
	}
	sent := math.Min(rate, m.senderMax)
	recv := math.Min(sent, m.capacity)
	if m.livelock && sent > m.capacity {
		recv = m.capacity * math.Pow(m.capacity/sent, 4)
	}
	return Trial{SentBps: sent, ReceivedBps: recv, Loss: 1 - recv/sent, Packets: int64(sent / 8 / 1400)}, nil
}

func TestSearch(t *testing.T) {
	const g = 1e9
	for _, tc := range []struct {
		name                  string
		cfg                   Config
		m                     model
		wantLo, wantHi        float64 // the rate found
		wantFound, wantSender bool
		maxTrials             int
	}{
		{"shaped path", Config{MaxBps: 1.1 * g}, model{capacity: 0.9709 * g, senderMax: 10 * g},
			0.9709 * g * (1 - DefaultResolution), 0.9709 * g, true, false, 12},
		{"path carries the line rate", Config{MaxBps: g}, model{capacity: 2 * g, senderMax: 10 * g},
			g, g, true, false, 1},
		{"receiver livelock", Config{MaxBps: 10 * g}, model{capacity: 2.5 * g, senderMax: 20 * g, livelock: true},
			2.5 * g * (1 - DefaultResolution), 2.5 * g, true, false, 12},
		{"sender limited", Config{MaxBps: 1.1 * g}, model{capacity: 0.97 * g, senderMax: 0.5 * g},
			0.5 * g, 0.5 * g, true, true, 1},
		{"nothing passes", Config{MaxBps: g, MaxTrials: 8}, model{capacity: 0, senderMax: 10 * g},
			0, 0, false, false, 8},
		{"coarse resolution", Config{MaxBps: 1.1 * g, Resolution: 0.05}, model{capacity: 0.9 * g, senderMax: 10 * g},
			0.9 * g * 0.95, 0.9 * g, true, false, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Search(context.Background(), tc.cfg, tc.m.trial)
			if err != nil {
				t.Fatal(err)
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
			if tc.wantFound && !res.Converged {
				t.Errorf("not converged after %d trials", len(res.Steps))
			}
			for i, s := range res.Steps {
				if s.Passed && s.Loss > DefaultLossThreshold {
					t.Errorf("step %d passed with loss %v", i, s.Loss)
				}
			}
			t.Logf("%s: %.6g bit/s in %d trials", tc.name, res.RateBps, len(res.Steps))
		})
	}
}

func TestSearchErrors(t *testing.T) {
	m := &model{capacity: 1e9, senderMax: 1e10, failAt: 1e9}
	if _, err := Search(context.Background(), Config{MaxBps: 2e9}, m.trial); err == nil {
		t.Error("a failing trial: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Search(ctx, Config{MaxBps: 2e9}, (&model{capacity: 1e9, senderMax: 1e10}).trial); !errors.Is(err, ErrNoTrial) {
		t.Errorf("cancelled: %v, want ErrNoTrial", err)
	}
	for _, cfg := range []Config{
		{}, {MaxBps: math.Inf(1)}, {MaxBps: 1e9, LossThreshold: 1}, {MaxBps: 1e9, Resolution: -0.1},
		{MaxBps: 1e9, MaxTrials: 1}, {MaxBps: 1e9, SenderTolerance: 2},
	} {
		if _, err := Search(context.Background(), cfg, (&model{capacity: 1e9, senderMax: 1e10}).trial); err == nil {
			t.Errorf("config %+v: no error", cfg)
		}
	}
}
