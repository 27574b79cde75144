package lab

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/ratesearch"
)

// TestUDPLossFreeRateGroundTruth: on uplinks shaped to 300 Mbit/s, the RFC
// 2544 search for 1400-byte datagrams lands on the shaped rate minus each
// datagram's headers (UDP 8, IPv4 20, Ethernet 14): rate × 1400/1442. The
// sender is a pod. The shaper holds its datagrams in a queue that counts
// against the sending socket's memory (veth keeps the socket's ownership
// across namespaces), so the sender is held back to the shaped rate rather
// than losing: the search then reports the rate as sender-limited, at the
// rate the path let through. 300 Mbit/s, not 1 Gbit/s: on the 2-core CI
// machine a pod's UDP sender tops out near 780 Mbit/s at 1400 bytes, and a
// CPU-limited sender would measure the CPU, not the shaper.
func TestUDPLossFreeRateGroundTruth(t *testing.T) {
	const rate, size = 300e6, 1400
	l := newLab(t, Config{Datapath: Routed, LinkRate: rate, Nodes: 2, PodsPerNode: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := l.StartServer(ctx, endpoint(t, l, "pod-2a"), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(ctx)
	from := endpoint(t, l, "pod-1a")
	trial := func(ctx context.Context, bps float64) (ratesearch.Trial, error) {
		res, err := l.RunClient(ctx, from, srv.Target(), engine.Spec{Protocol: engine.UDP, Duration: time.Second,
			Rate: uint64(bps), Length: size, Interval: -1})
		if err != nil {
			return ratesearch.Trial{}, err
		}
		r := res.SumReceived
		loss := 0.0
		if r.Packets > 0 {
			loss = float64(r.LostPackets) / float64(r.Packets)
		}
		return ratesearch.Trial{SentBps: res.SumSent.BitsPerSecond, ReceivedBps: r.BitsPerSecond, Loss: loss,
			JitterMs: r.JitterMs, Packets: r.Packets}, nil
	}
	found, err := ratesearch.Search(ctx, ratesearch.Config{MaxBps: 1.1 * rate}, trial)
	if err != nil {
		t.Fatal(err)
	}
	want := rate * size / (size + 8 + 20 + 14)
	for i, s := range found.Steps {
		t.Logf("trial %2d: offered %7.2f sent %7.2f received %7.2f Mbit/s, loss %.4f%%, passed %v",
			i+1, s.OfferedBps/1e6, s.SentBps/1e6, s.ReceivedBps/1e6, s.Loss*100, s.Passed)
	}
	dev := (found.RateBps - want) / want
	t.Logf("loss-free rate %.2f Mbit/s, theory %.2f Mbit/s (%+.2f%%), %d trials, sender-limited %v",
		found.RateBps/1e6, want/1e6, dev*100, len(found.Steps), found.SenderLimited)
	switch {
	case !found.Found:
		t.Fatalf("no rate passed")
	case math.Abs(dev) > 0.02:
		t.Errorf("loss-free rate %.2f Mbit/s is %.2f%% off %.2f Mbit/s (allowed 2%%)", found.RateBps/1e6, dev*100, want/1e6)
	case len(found.Steps) > ratesearch.DefaultMaxTrials || !found.Converged:
		t.Errorf("%d trials, converged %v", len(found.Steps), found.Converged)
	}
}
