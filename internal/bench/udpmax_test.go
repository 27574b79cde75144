package bench

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/ratesearch"
	"github.com/cnibench/cnibench/internal/runrecord"
)

// lossyFake is the fake cluster whose UDP paths carry at most capacity
// bits/s of payload (pod paths 10% less), losing what is offered beyond it,
// from a sender that offers at most senderMax.
type lossyFake struct {
	*fakeCluster
	capacity, senderMax float64
	specs               []engine.Spec
}

func (f *lossyFake) RunClient(ctx context.Context, from cluster.Endpoint, to cluster.Target, spec engine.Spec) (*engine.Result, error) {
	f.specs = append(f.specs, spec)
	capacity := f.capacity
	if from.Kind == cluster.PodEndpoint {
		capacity *= 0.9
	}
	sent := math.Min(float64(spec.Rate), f.senderMax)
	recv := math.Min(sent, capacity)
	pkts := int64(sent * spec.Duration.Seconds() / 8 / float64(spec.Length))
	lost := int64(math.Round(float64(pkts) * (1 - recv/sent)))
	res := &engine.Result{Spec: spec}
	res.SumSent = engine.Totals{BitsPerSecond: sent, Packets: pkts}
	res.SumReceived = engine.Totals{BitsPerSecond: recv, Packets: pkts, LostPackets: lost, JitterMs: 0.01}
	return res, nil
}

// TestUDPMaxSearch: --tests udp-max searches every scenario at every size
// (the path's MTU as the datagram that fills it) and lands on each path's
// capacity; pod-pod-cross's rate is 10% under node-node's, its overhead.
func TestUDPMaxSearch(t *testing.T) {
	f := &lossyFake{fakeCluster: &fakeCluster{nodes: 2, podsPerNode: 1}, capacity: 500e6, senderMax: 5e9}
	p := Plan{Kinds: []string{UDPMax}, Scenarios: []string{"pod-pod-cross"}, UDPMaxSizes: []int{512, 0}}
	run, err := RunVariants(context.Background(), []Variant{{Cluster: f}}, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.UDPMax) != 4 || len(run.Samples) != 0 {
		t.Fatalf("%d searches, %d samples; want 2 scenarios × 2 sizes, no throughput test", len(run.UDPMax), len(run.Samples))
	}
	for _, m := range run.UDPMax {
		want := 500e6
		if m.Scenario == "pod-pod-cross" {
			want *= 0.9
		}
		t.Logf("%s %d B: %.1f Mbit/s in %d trials, overhead %v", m.Scenario, m.Size, m.RateBps/1e6, len(m.Trials), m.Overhead)
		// The fake's paths have no link rate: the first trial is unbounded
		// and the sender offers 10 times their capacity.
		if !m.Found || !m.Converged || m.SenderLimited || m.RateBps > want || m.RateBps < want*0.99 || len(m.Trials) > 4 {
			t.Errorf("%s %d B: %+v, want about %.0f Mbit/s", m.Scenario, m.Size, m, want/1e6)
		}
		if m.PathMTU != (m.Size == 1500-28) {
			t.Errorf("%s: size %d, path MTU %v: the fake's MTU 1500 takes 1472 bytes", m.Scenario, m.Size, m.PathMTU)
		}
		if m.Scenario == "pod-pod-cross" && (m.Overhead == nil || math.Abs(*m.Overhead-0.1) > 0.01) {
			t.Errorf("pod-pod-cross overhead %v, want 10%%", m.Overhead)
		}
	}
	for _, sp := range f.specs {
		if sp.Protocol != engine.UDP || sp.Streams != 1 || sp.Duration != DefaultUDPMaxTrial {
			t.Fatalf("trial spec %+v", sp)
		}
	}
	if run.Plan.LossThreshold != 0.001 || len(run.Plan.UDPMaxSizes) != 2 {
		t.Errorf("plan %+v: want the threshold and sizes recorded", run.Plan)
	}
	if sp := f.specs[0]; sp.Rate != engine.UnboundedUDPRate {
		t.Errorf("first trial at %d bit/s, want unbounded", sp.Rate)
	}
	if n := udpMaxNote(run.UDPMax[0]); !strings.Contains(n, "node-node 512 B: 497.5 Mbit/s loss-free") {
		t.Errorf("note %q", n)
	}
}

// TestUDPMaxSenderLimited: a path that loses nothing at the most the
// sender offers is reported sender-limited at that rate, with no overhead.
func TestUDPMaxSenderLimited(t *testing.T) {
	f := &lossyFake{fakeCluster: &fakeCluster{nodes: 2, podsPerNode: 1}, capacity: 10e9, senderMax: 800e6}
	p := Plan{Kinds: []string{UDPMax}, Scenarios: []string{"pod-pod-cross"}, UDPMaxSizes: []int{1400}, LossThreshold: ratesearch.Strict}
	run, err := RunVariants(context.Background(), []Variant{{Cluster: f}}, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range run.UDPMax {
		if !m.SenderLimited || m.SenderBps != 800e6 || m.RateBps != 800e6 || len(m.Trials) != 1 || m.Overhead != nil {
			t.Errorf("%s: %+v, want sender-limited at 800 Mbit/s after 1 trial, no overhead", m.Scenario, m)
		}
	}
	if n := udpMaxNote(run.UDPMax[0]); !strings.Contains(n, "node-node 1400 B: sender-limited at 800 Mbit/s, no loss, in 1 trial (") {
		t.Errorf("note %q", n)
	}
	if run.Plan.LossThreshold != 0 {
		t.Errorf("recorded loss threshold %v, want 0 (strict)", run.Plan.LossThreshold)
	}
}

// TestUDPMaxRetried: a search that fails because a pod of its path was
// lost is kept, marked retried, and run again once the cluster recreated
// the pod, as a failed test is; the search run again stands for the
// scenario, the faults table names the retried one, and nothing counts as
// failed.
func TestUDPMaxRetried(t *testing.T) {
	// The path carries all the sender offers: each search is one trial, so
	// the second client is pod-pod-cross's first.
	f := &lossyFake{fakeCluster: &fakeCluster{nodes: 2, podsPerNode: 1}, capacity: 10e9, senderMax: 800e6}
	h := &healingCluster{fakeCluster: f.fakeCluster, inner: f, faultPlan: faultPlan{loseName: "pod-2a", loseAtN: 2}, lost: map[string]bool{}}
	ev := &notes{}
	p := Plan{Kinds: []string{UDPMax}, Scenarios: []string{"pod-pod-cross"}, UDPMaxSizes: []int{1400}}
	run, err := RunVariants(context.Background(), []Variant{{Cluster: h}}, p, Options{Events: ev})
	if err != nil {
		t.Fatal(err)
	}
	var tries []runrecord.UDPMax
	for _, m := range run.UDPMax {
		if m.Scenario == "pod-pod-cross" {
			tries = append(tries, m)
		}
		if m.Start.IsZero() || m.End.Before(m.Start) {
			t.Errorf("%s: start %v, end %v", m.Scenario, m.Start, m.End)
		}
	}
	if len(tries) != 2 {
		t.Fatalf("%d pod-pod-cross searches, want the failed one and its retry: %+v", len(tries), tries)
	}
	failed, again := tries[0], tries[1]
	if !failed.Retried || failed.Retry != 0 || failed.Found || !strings.Contains(failed.Error, "connection refused") {
		t.Errorf("first search %+v: want it failed (connection refused), retried", failed)
	}
	if again.Retried || again.Retry != 1 || again.Error != "" || !again.Found {
		t.Errorf("search run again %+v: want retry 1, a rate found", again)
	}
	if n := run.FailedUDPMax(); n != 0 {
		t.Errorf("FailedUDPMax %d, want 0: the retried search is not the scenario's failure", n)
	}
	if len(run.Faults) != 1 || run.Faults[0].Endpoint != "pod-2a" {
		t.Errorf("faults %+v, want pod-2a's", run.Faults)
	}
	if !hasPrefix(ev.seen, "running udp-max pod-pod-cross 1400 B again (retry 1 of at most 2)") {
		t.Errorf("notes %q do not tell the retry", ev.seen)
	}
}
