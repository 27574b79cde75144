package lab

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/engine"

	"github.com/cnibench/cnibench/internal/testenv"
)

// BenchmarkBuildTeardown builds and removes the default 3-node, 6-pod lab
// (target: < 0.5 s together per op).
func BenchmarkBuildTeardown(b *testing.B) {
	testenv.MustBeRoot(b)
	for _, dp := range []Datapath{Routed, VXLAN} {
		b.Run(string(dp), func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				l, err := Build(ctx, Config{Datapath: dp})
				if err != nil {
					b.Fatal(err)
				}
				if err := l.Close(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNodeToNodeVsLoopback measures the engine node→node over an
// unshaped lab and on plain loopback in the same run, and reports the
// ratio (the lab must not be the bottleneck: target ≥ 0.9).
func BenchmarkNodeToNodeVsLoopback(b *testing.B) {
	testenv.MustBeRoot(b)
	ctx := context.Background()
	l, err := Build(ctx, Config{Nodes: 2, PodsPerNode: 0})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close(ctx)
	spec := engine.Spec{Duration: 3 * time.Second, Omit: time.Second, Interval: -1}
	srv, err := l.StartServer(ctx, endpoint(b, l, "node-2"), 0)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Stop(ctx)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go (&engine.Server{}).Serve(sctx, ln)
	var lab, lo float64
	for b.Loop() {
		r, err := l.RunClient(ctx, endpoint(b, l, "node-1"), srv.Target(), spec)
		if err != nil {
			b.Fatal(err)
		}
		lab += r.Goodput()
		r, err = (&engine.Client{}).Run(ctx, ln.Addr().String(), spec)
		if err != nil {
			b.Fatal(err)
		}
		lo += r.Goodput()
	}
	b.ReportMetric(lab/float64(b.N)/1e9, "lab-Gbit/s")
	b.ReportMetric(lo/float64(b.N)/1e9, "loopback-Gbit/s")
	b.ReportMetric(lab/lo, "ratio")
}
