package lab

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/ratesearch"
	"github.com/cnibench/cnibench/internal/testenv"
)

// TestUDPLossFreeRateGroundTruth: on uplinks shaped to 500 Mbit/s, the RFC
// 2544 search for 1400-byte datagrams from a pod lands on the shaped rate
// minus each datagram's headers (UDP 8, IPv4 20, Ethernet 14): rate ×
// 1400/1442, within 2%, in at most 12 trials, and the path (not the
// sender) is the limit: the engine's UDP sender writes segmented batches
// (UDP_SEGMENT), so it offers more than the link carries. It pauses after
// a lossy trial as cnibench's searches do: in CI (5 Dec 2026), a trial
// right after one that overran the receiver lost 3% at 938 Mbit/s, the
// 4 MiB socket's leftovers (33 ms at 1 Gbit/s), and the search settled
// 3.9% short. 500 Mbit/s, not 1 Gbit/s: there this 2-core machine's
// receiver, sharing the cores with the sender and the shaper, is itself
// close to the limit (bench's TestLabUDPMaxGroundTruth).
// Falling short is measured again when this process was CPU-starved
// (testenv.UnlessStarved); landing over the truth is never excused.
func TestUDPLossFreeRateGroundTruth(t *testing.T) {
	const rate, size = 500e6, 1400
	l := newLab(t, Config{Datapath: Routed, LinkRate: rate, Nodes: 2, PodsPerNode: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := l.StartServer(ctx, endpoint(t, l, "pod-2a"), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(ctx)
	from := endpoint(t, l, "pod-1a")
	trial := engine.UDPTrials(func(ctx context.Context, spec engine.Spec) (*engine.Result, error) {
		return l.RunClient(ctx, from, srv.Target(), spec)
	}, engine.Spec{Duration: time.Second, Length: size, Interval: -1})
	want := rate * size / (size + 8 + 20 + 14)
	testenv.UnlessStarved(t, func() (hard, soft []string) {
		found, err := ratesearch.Search(ctx, ratesearch.Config{StartBps: 1.1 * rate, Settle: ratesearch.DefaultSettle}, trial)
		if err != nil {
			return []string{err.Error()}, nil
		}
		for i, s := range found.Steps {
			t.Logf("trial %2d: offered %7.2f sent %7.2f received %7.2f Mbit/s, loss %.4f%%, passed %v, repeat %v",
				i+1, s.OfferedBps/1e6, s.SentBps/1e6, s.ReceivedBps/1e6, s.Loss*100, s.Passed, s.Repeat)
		}
		dev := (found.RateBps - want) / want
		t.Logf("loss-free rate %.2f Mbit/s, theory %.2f Mbit/s (%+.2f%%), %d trials, sender-limited %v",
			found.RateBps/1e6, want/1e6, dev*100, len(found.Steps), found.SenderLimited)
		switch {
		case dev > 0.02: // a shaped link carries no more than its rate, however busy the CPU
			return []string{fmt.Sprintf("loss-free rate %.2f Mbit/s is %.2f%% over %.2f Mbit/s (allowed 2%%)", found.RateBps/1e6, dev*100, want/1e6)}, nil
		case !found.Found:
			return nil, []string{"no rate passed"}
		case found.SenderLimited:
			return nil, []string{fmt.Sprintf("sender-limited at %.2f Mbit/s: the sender, not the shaped link, was the limit", found.SenderBps/1e6)}
		case dev < -0.02:
			return nil, []string{fmt.Sprintf("loss-free rate %.2f Mbit/s is %.2f%% under %.2f Mbit/s (allowed 2%%)", found.RateBps/1e6, dev*100, want/1e6)}
		case len(found.Steps) > ratesearch.DefaultMaxTrials || !found.Converged:
			return nil, []string{fmt.Sprintf("%d trials, converged %v", len(found.Steps), found.Converged)}
		}
		return nil, nil
	})
}
