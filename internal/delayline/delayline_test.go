package delayline

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/netns"
	"github.com/cnibench/cnibench/internal/testenv"
	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func TestNewRejectsDelays(t *testing.T) {
	for _, d := range []time.Duration{-time.Millisecond, MaxDelay + 1} {
		if _, err := New(os.Stdin, d); err == nil {
			t.Errorf("New(%v) = nil error, want out of range", d)
		}
	}
}

// path is three namespaces in a row, client — router — server, the
// router's client-side port routed through a delay line.
type path struct {
	client, router, server *netns.NS
	line                   *Line
	serverAddr             string
}

const (
	clientIP = "198.18.250.1"
	serverIP = "198.18.251.1"
)

// newPath builds the path with a line of the given delay, running until
// the test ends. Every namespace is anonymous: closing it at the end lets
// the kernel remove it and its links.
func newPath(t *testing.T, delay time.Duration) *path {
	t.Helper()
	p := &path{}
	for _, ns := range []**netns.NS{&p.client, &p.router, &p.server} {
		n, err := netns.New()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		*ns = n
	}
	h := map[*netns.NS]*netlink.Handle{}
	for _, ns := range []*netns.NS{p.client, p.router, p.server} {
		hh, err := netlink.NewHandleAt(vnetns.NsHandle(ns.Fd()), unix.NETLINK_ROUTE)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(hh.Close)
		h[ns] = hh
	}
	// like: ip link add a0 type veth peer name a1 netns ROUTER (and b0/b1)
	wire := func(end *netns.NS, endName, routerName, endCIDR, routerCIDR, via string) {
		v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: endName, Flags: net.FlagUp}, PeerName: routerName,
			PeerNamespace: netlink.NsFd(p.router.Fd())}
		must(t, h[end].LinkAdd(v))
		addAddr(t, h[end], endName, endCIDR)
		addAddr(t, h[p.router], routerName, routerCIDR)
		l, err := h[p.router].LinkByName(routerName)
		must(t, err)
		must(t, h[p.router].LinkSetUp(l))
		must(t, h[end].RouteAdd(&netlink.Route{Dst: &net.IPNet{IP: net.IPv4zero, Mask: net.CIDRMask(0, 32)}, Gw: net.ParseIP(via)}))
		lo, err := h[end].LinkByName("lo")
		must(t, err)
		must(t, h[end].LinkSetUp(lo))
	}
	wire(p.client, "a0", "a1", clientIP+"/24", "198.18.250.2/24", "198.18.250.2")
	wire(p.server, "b0", "b1", serverIP+"/24", "198.18.251.2/24", "198.18.251.2")

	var tun *os.File
	must(t, netns.Do(p.router, func() error {
		var err error
		tun, err = OpenTUN("dl0")
		return err
	}))
	t.Cleanup(func() { tun.Close() })
	must(t, Route(h[p.router], "dl0", "a1", 100))
	must(t, netns.Do(p.router, func() error {
		for k, v := range map[string]string{"ipv4/ip_forward": "1", "ipv4/conf/all/rp_filter": "0", "ipv4/conf/dl0/rp_filter": "0"} {
			if err := os.WriteFile(filepath.Join("/proc/sys/net", k), []byte(v), 0); err != nil {
				return fmt.Errorf("sysctl %s: %w", k, err)
			}
		}
		return nil
	}))
	line, err := New(tun, delay)
	must(t, err)
	p.line = line
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- line.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("line.Run: %v", err)
		}
	})

	srv := &engine.Server{Network: netns.Network{NS: p.server}}
	ln, err := netns.Network{NS: p.server}.Listen(context.Background(), "tcp", net.JoinHostPort(serverIP, "0"))
	must(t, err)
	sctx, scancel := context.WithCancel(context.Background())
	sdone := make(chan error, 1)
	go func() { sdone <- srv.Serve(sctx, ln) }()
	t.Cleanup(func() {
		scancel()
		if err := <-sdone; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Serve: %v", err)
		}
	})
	p.serverAddr = ln.Addr().String()
	return p
}

func addAddr(t *testing.T, h *netlink.Handle, link, cidr string) {
	t.Helper()
	l, err := h.LinkByName(link)
	must(t, err)
	a, err := netlink.ParseAddr(cidr)
	must(t, err)
	must(t, h.AddrAdd(l, a))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// rrMedian runs rr tests from the client to the server and returns the
// median of their p50s, in µs.
func (p *path) rrMedian(t *testing.T, transactions, runs int) float64 {
	t.Helper()
	var p50s []float64
	for range runs {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := (&engine.Client{Network: netns.Network{NS: p.client}}).RunLatency(ctx, p.serverAddr,
			engine.LatencySpec{Mode: engine.RR, Transactions: int64(transactions)})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		p50s = append(p50s, res.P50Us)
	}
	sort.Float64s(p50s)
	return p50s[len(p50s)/2]
}

// TestDelayGroundTruth is the lab's latency ground truth: an rr test's p50
// across the path grows by the line's delay. Both paths have a line, so the
// difference is the delay alone, not the extra hop through user space.
func TestDelayGroundTruth(t *testing.T) {
	testenv.MustBeRoot(t)
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		testenv.SkipOrFail(t, "no /dev/net/tun: the kernel needs CONFIG_TUN")
	}
	base := newPath(t, 0)
	baseUs := base.rrMedian(t, 300, 3)
	for _, delay := range []time.Duration{time.Millisecond, 5 * time.Millisecond} {
		t.Run(delay.String(), func(t *testing.T) {
			p := newPath(t, delay)
			got := p.rrMedian(t, max(50, int(time.Second/delay)/2), 3) - baseUs
			want := float64(delay.Microseconds())
			// The line wakes within the kernel's timer slack (50 µs) plus
			// scheduling: allow 5% + 150 µs over, 50 µs under.
			lo, hi := want-50, want*1.05+150
			t.Logf("delay %v: rr p50 %.1f µs over the undelayed path's %.1f µs (want %.0f..%.0f); line %+v",
				delay, got, baseUs, lo, hi, p.line.Stats())
			if got < lo || got > hi {
				t.Errorf("rr p50 grew by %.1f µs, want %.0f..%.0f µs", got, lo, hi)
			}
			if s := p.line.Stats(); s.Dropped != 0 {
				t.Errorf("line dropped %d packets", s.Dropped)
			}
		})
	}
}
