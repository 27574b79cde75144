package bench

import (
	"context"
	"math"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster/lab"
	"github.com/cnibench/cnibench/internal/runrecord"
)

// TestLabUDPMaxGroundTruth is `cnibench run --tests udp-max` on a lab
// whose uplinks are shaped to 1 Gbit/s: for 1400-byte datagrams both
// node-node and pod-pod-cross land within 2% of the shaped rate minus each
// datagram's headers (UDP 8, IPv4 20, Ethernet 14), each in at most 12
// trials, and neither is sender-limited (the path is the limit).
func TestLabUDPMaxGroundTruth(t *testing.T) {
	const rate, size = 1e9, 1400
	m := lab.Matrix{Datapaths: []lab.Datapath{lab.Routed}, LinkRates: []uint64{rate}}
	run, err := labRun(t, context.Background(), m, Plan{Kinds: []string{UDPMax}, Scenarios: []string{"pod-pod-cross"}, UDPMaxSizes: []int{size}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := rate * size / (size + 8 + 20 + 14)
	if len(run.UDPMax) != 2 {
		t.Fatalf("%d searches, want node-node's and pod-pod-cross's", len(run.UDPMax))
	}
	for _, m := range run.UDPMax {
		logUDPMaxTrials(t, m)
		dev := (m.RateBps - want) / want
		t.Logf("%s", udpMaxNote(m))
		switch {
		case m.Error != "" || !m.Found:
			t.Errorf("%s: no rate: %s", m.Scenario, udpMaxNote(m))
		case m.SenderLimited:
			t.Errorf("%s: %s: the sender, not the shaped link, was the limit", m.Scenario, udpMaxNote(m))
		case math.Abs(dev) > 0.02:
			t.Errorf("%s: %.2f Mbit/s is %+.2f%% off %.2f Mbit/s (allowed 2%%)", m.Scenario, m.RateBps/1e6, dev*100, want/1e6)
		case len(m.Trials) > 12 || !m.Converged:
			t.Errorf("%s: %d trials, converged %v", m.Scenario, len(m.Trials), m.Converged)
		}
	}
}

// TestLabUDPMaxSmallDatagrams is `cnibench run --tests udp-max
// --udp-max-sizes 64` on the shaped lab: 64-byte datagrams at the link's
// rate are more than this host's receiver takes, so the first trial
// overruns the server's socket. Every later trial must still connect and
// count only its own datagrams (the search pauses after a lossy trial, the
// client resends a lost UDP connect), and both searches converge in at
// most 12 trials. No ground truth: what limits 64-byte datagrams here is
// the host's CPU, not the shaped link.
func TestLabUDPMaxSmallDatagrams(t *testing.T) {
	const size = 64
	m := lab.Matrix{Datapaths: []lab.Datapath{lab.Routed}, LinkRates: []uint64{1e9}}
	run, err := labRun(t, context.Background(), m, Plan{Kinds: []string{UDPMax}, Scenarios: []string{"pod-pod-cross"}, UDPMaxSizes: []int{size}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.UDPMax) != 2 {
		t.Fatalf("%d searches, want node-node's and pod-pod-cross's", len(run.UDPMax))
	}
	for _, m := range run.UDPMax {
		logUDPMaxTrials(t, m)
		t.Logf("%s", udpMaxNote(m))
		switch {
		case m.Error != "":
			t.Errorf("%s: a trial failed: %s", m.Scenario, udpMaxNote(m))
		case !m.Found:
			t.Errorf("%s: no rate passed: %s", m.Scenario, udpMaxNote(m))
		case len(m.Trials) > 12 || !m.Converged:
			t.Errorf("%s: %d trials, converged %v", m.Scenario, len(m.Trials), m.Converged)
		}
	}
}

// logUDPMaxTrials logs a search's trials.
func logUDPMaxTrials(t *testing.T, m runrecord.UDPMax) {
	t.Helper()
	for i, s := range m.Trials {
		t.Logf("%s trial %2d: offered %7.2f sent %7.2f received %7.2f Mbit/s, loss %.4f%%, passed %v, repeat %v",
			m.Scenario, i+1, s.OfferedBps/1e6, s.SentBps/1e6, s.ReceivedBps/1e6, s.Loss*100, s.Passed, s.Repeat)
	}
}
