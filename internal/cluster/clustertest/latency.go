package clustertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
)

// checkLatency: RunLatency returns a result of the mode asked for, with
// transactions, their percentiles and the histogram they came from.
func checkLatency(t *testing.T, ctx context.Context, c cluster.Cluster, from cluster.Endpoint, to cluster.Target) {
	for _, mode := range []engine.LatencyMode{engine.RR, engine.CRR, engine.UDPRR} {
		t.Run(string(mode), func(t *testing.T) {
			spec := engine.LatencySpec{Mode: mode, Duration: 300 * time.Millisecond}
			res, err := c.RunLatency(ctx, from, to, spec)
			if err != nil || res == nil {
				t.Fatalf("RunLatency %s %s → %s %s: %v, %v", mode, from.Name, to.Kind, to.Addr, res, err)
			}
			if res.Spec.Mode != mode {
				t.Errorf("result of mode %q, want %q", res.Spec.Mode, mode)
			}
			if res.Transactions <= 0 || res.P50Us <= 0 || res.P99Us < res.P50Us {
				t.Errorf("%d transactions, p50 %v µs, p99 %v µs: want transactions and p50 ≤ p99", res.Transactions, res.P50Us, res.P99Us)
			}
			h, err := res.DecodeHistogram()
			if err != nil {
				t.Fatalf("histogram: %v", err)
			}
			if h.TotalCount() != res.Transactions {
				t.Errorf("histogram holds %d transactions, the result says %d", h.TotalCount(), res.Transactions)
			}
		})
	}
}

// checkLatencyCancel: a long latency test whose context is cancelled ends
// promptly with ctx's error.
func checkLatencyCancel(t *testing.T, ctx context.Context, c cluster.Cluster, from cluster.Endpoint, to cluster.Target, after time.Duration) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	timer := time.AfterFunc(after, cancel)
	defer timer.Stop()
	res, err := c.RunLatency(cctx, from, to, engine.LatencySpec{Mode: engine.RR, Duration: time.Minute})
	if took := time.Since(start) - after; took > Prompt {
		t.Errorf("RunLatency returned %v after its context was cancelled, want within %v", took.Round(time.Millisecond), Prompt)
	}
	switch {
	case err == nil:
		t.Fatalf("a cancelled RunLatency returned a result and no error: %+v", res)
	case !errors.Is(err, context.Canceled):
		t.Errorf("a cancelled RunLatency returned %v, which does not wrap %v", err, context.Canceled)
	}
}

// FakeLatency is the result a fake cluster returns for a latency test:
// n transactions of latency d (and a slower tail of 1% at 2d), with the
// figures and the encoded histogram a real test would have.
func FakeLatency(spec engine.LatencySpec, d time.Duration, n int64) (*engine.LatencyResult, error) {
	spec, err := spec.Normalize()
	if err != nil {
		return nil, err
	}
	h := hdrhistogram.New(1, int64(time.Minute), 3)
	tail := max(n/100, 1)
	if err := h.RecordValues(int64(d), n-tail); err != nil {
		return nil, err
	}
	if err := h.RecordValues(int64(2*d), tail); err != nil {
		return nil, err
	}
	enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, err
	}
	us := func(ns int64) float64 { return float64(ns) / 1e3 }
	secs := float64(n) * d.Seconds()
	return &engine.LatencyResult{Spec: spec, Seconds: secs, Transactions: n, TransactionsPerSecond: float64(n) / secs,
		MinUs: us(h.Min()), MeanUs: h.Mean() / 1e3, P50Us: us(h.ValueAtQuantile(50)), P90Us: us(h.ValueAtQuantile(90)),
		P99Us: us(h.ValueAtQuantile(99)), P999Us: us(h.ValueAtQuantile(99.9)), MaxUs: us(h.Max()), Histogram: string(enc)}, nil
}

// checkLatencyUnderLoad: RunLatency works while a RunClient between the
// same endpoints runs, and neither fails (latency under load).
func checkLatencyUnderLoad(t *testing.T, ctx context.Context, c cluster.Cluster, from cluster.Endpoint, to cluster.Target, spec engine.Spec) {
	done := make(chan error, 1)
	go func() {
		_, err := c.RunClient(ctx, from, to, spec)
		done <- err
	}()
	res, err := c.RunLatency(ctx, from, to, engine.LatencySpec{Mode: engine.RR, Duration: 300 * time.Millisecond})
	if err != nil || res == nil || res.Transactions == 0 {
		t.Errorf("RunLatency beside a RunClient: %v, %+v", err, res)
	}
	if err := <-done; err != nil {
		t.Errorf("RunClient beside a RunLatency: %v", err)
	}
}
