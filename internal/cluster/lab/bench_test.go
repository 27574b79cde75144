package lab

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/netns"
	"github.com/cnibench/cnibench/internal/testenv"
	"github.com/vishvananda/netlink"
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
// ratio. Loopback is one 64 KiB-MTU device, so this ratio is about 0.6
// whatever the lab does; BenchmarkNodeToNodeVsVethPair is the fair one.
func BenchmarkNodeToNodeVsLoopback(b *testing.B) {
	ctx := context.Background()
	l, srv := unshapedPair(b)
	spec := engine.Spec{Duration: 3 * time.Second, Omit: time.Second, Interval: -1}
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

// BenchmarkNodeToNodeVsVethPair compares the lab's node→node path (veth,
// bridge, veth, with the lab's nftables) with the least a namespace-to-
// namespace path can be: one veth pair at the same MTU, no bridge, no
// rules. Loopback (64 KiB MTU, one device) is no fair floor for a 1500-byte
// path; this ratio says what the lab's own construction costs.
func BenchmarkNodeToNodeVsVethPair(b *testing.B) {
	ctx := context.Background()
	l, srv := unshapedPair(b)
	pairAddr, client, stop := vethPair(b, 1500)
	defer stop()
	spec := engine.Spec{Duration: 3 * time.Second, Omit: time.Second, Interval: -1}
	var lab, pair float64
	for b.Loop() {
		r, err := l.RunClient(ctx, endpoint(b, l, "node-1"), srv.Target(), spec)
		if err != nil {
			b.Fatal(err)
		}
		lab += r.Goodput()
		r, err = client.Run(ctx, pairAddr, spec)
		if err != nil {
			b.Fatal(err)
		}
		pair += r.Goodput()
	}
	b.ReportMetric(lab/float64(b.N)/1e9, "lab-Gbit/s")
	b.ReportMetric(pair/float64(b.N)/1e9, "veth-pair-Gbit/s")
	b.ReportMetric(lab/pair, "ratio")
}

// vethPair builds two throwaway namespaces joined by one veth pair of the
// given MTU (198.18.251.1 ↔ .2), runs an engine server in the second, and
// returns its address and a client in the first.
func vethPair(b *testing.B, mtu int) (string, *engine.Client, func()) {
	b.Helper()
	nsA, err := netns.New()
	if err != nil {
		b.Fatal(err)
	}
	nsB, err := netns.New()
	if err != nil {
		b.Fatal(err)
	}
	setup := func(ns *netns.NS, name, cidr string) {
		err := netns.Do(ns, func() error {
			for _, n := range []string{"lo", name} {
				link, err := netlink.LinkByName(n)
				if err != nil {
					return err
				}
				if n == name {
					addr, _ := netlink.ParseAddr(cidr)
					if err := netlink.AddrAdd(link, addr); err != nil {
						return err
					}
				}
				if err := netlink.LinkSetUp(link); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	err = netns.Do(nsA, func() error {
		return netlink.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "pa", MTU: mtu}, PeerName: "pb", PeerMTU: uint32(mtu), PeerNamespace: netlink.NsFd(nsB.Fd())})
	})
	if err != nil {
		b.Fatal(err)
	}
	setup(nsA, "pa", "198.18.251.1/30")
	setup(nsB, "pb", "198.18.251.2/30")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = (&engine.Server{Network: netns.Network{NS: nsB}}).ListenAndServe(ctx, "198.18.251.2:0", func(a net.Addr) { ready <- a.String() })
	}()
	addr := <-ready
	return addr, &engine.Client{Network: netns.Network{NS: nsA}}, func() {
		cancel()
		<-done
		nsA.Close()
		nsB.Close()
	}
}

// unshapedPair builds an unshaped two-node lab with a server on node-2;
// both go away when the benchmark ends.
func unshapedPair(b *testing.B) (*Lab, cluster.Server) {
	b.Helper()
	testenv.MustBeRoot(b)
	ctx := context.Background()
	l, err := Build(ctx, Config{Nodes: 2, PodsPerNode: 0})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close(ctx) })
	srv, err := l.StartServer(ctx, endpoint(b, l, "node-2"), 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Stop(ctx) })
	return l, srv
}
