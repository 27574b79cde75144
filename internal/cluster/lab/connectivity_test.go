package lab

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/netns"
	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

const echoPort = 7000

// path is one row of the connectivity matrix: a client endpoint and how it
// reaches a server endpoint.
type path struct {
	name, from, to string
	kind           cluster.TargetKind
	via            string // NodePort: the node whose address the client uses
}

// paths is the matrix every datapath must pass, over TCP and UDP, IPv4 and IPv6.
var paths = []path{
	{"node→node", "node-1", "node-2", cluster.DirectTarget, ""},
	{"pod→node", "pod-1a", "node-2", cluster.DirectTarget, ""},
	{"pod→own node", "pod-1a", "node-1", cluster.DirectTarget, ""},
	{"node→pod", "node-1", "pod-2a", cluster.DirectTarget, ""},
	{"node→own pod", "node-1", "pod-1a", cluster.DirectTarget, ""},
	{"pod→pod same node", "pod-1a", "pod-1b", cluster.DirectTarget, ""},
	{"pod→pod cross node", "pod-1a", "pod-2a", cluster.DirectTarget, ""},
	{"pod→ClusterIP remote backend", "pod-1a", "pod-2a", cluster.ClusterIPTarget, ""},
	{"pod→ClusterIP local backend", "pod-2b", "pod-2a", cluster.ClusterIPTarget, ""},
	{"node→ClusterIP", "node-3", "pod-2a", cluster.ClusterIPTarget, ""},
	{"pod→NodePort on backend's node", "pod-1a", "pod-2a", cluster.NodePortTarget, "node-2"},
	{"pod→NodePort on third node", "pod-1a", "pod-2a", cluster.NodePortTarget, "node-3"},
	{"pod→NodePort on own node", "pod-1a", "pod-2a", cluster.NodePortTarget, "node-1"},
	{"node→NodePort", "node-3", "pod-2a", cluster.NodePortTarget, "node-1"},
	{"pod→itself via ClusterIP (hairpin)", "pod-1a", "pod-1a", cluster.ClusterIPTarget, ""},
	{"pod→NodePort on other node, backend on own node", "pod-1a", "pod-1b", cluster.NodePortTarget, "node-2"},
	{"pod→external", "pod-1a", cluster.ExternalName, cluster.DirectTarget, ""},
	{"node→external", "node-1", cluster.ExternalName, cluster.DirectTarget, ""},
}

// exposed are the Services the connectivity matrix reaches: one in front
// of each backend it names.
var exposed = []string{"pod-2a", "pod-1a", "pod-1b"}

// targetFor picks the address a path's client uses in family v6: the
// server's own, or its Service's (svc holds every Service's targets).
func targetFor(t *testing.T, l *Lab, p path, svc []cluster.Target, v6 bool) netip.AddrPort {
	t.Helper()
	to := endpoint(t, l, p.to)
	switch p.kind {
	case cluster.DirectTarget:
		a := to.Addrs[0]
		if v6 {
			a = to.Addrs[1]
		}
		return netip.AddrPortFrom(a, echoPort)
	case cluster.NodePortTarget:
		via := endpoint(t, l, p.via).Addrs
		for _, tg := range svc {
			if tg.Kind == p.kind && tg.Backend.Name == p.to && (tg.Addr.Addr() == via[0] || (len(via) > 1 && tg.Addr.Addr() == via[1])) && tg.Addr.Addr().Is6() == v6 {
				return tg.Addr
			}
		}
	default:
		for _, tg := range svc {
			if tg.Kind == p.kind && tg.Backend.Name == p.to && tg.Addr.Addr().Is6() == v6 {
				return tg.Addr
			}
		}
	}
	t.Fatalf("no %s target for %s", p.kind, p.name)
	return netip.AddrPort{}
}

func TestConnectivity(t *testing.T) {
	var cfgs []Config
	for _, dp := range Datapaths {
		cfgs = append(cfgs, Config{Datapath: dp})
	}
	for _, sp := range ServiceProxies {
		cfgs = append(cfgs, Config{Datapath: VXLAN, ServiceProxy: sp, Services: 30})
	}
	for _, cfg := range cfgs {
		name := string(cfg.Datapath)
		if cfg.ServiceProxy != "" {
			name += fmt.Sprintf("-%s-%d-services", cfg.ServiceProxy, cfg.Services)
		}
		t.Run(name, func(t *testing.T) {
			cfg.DualStack, cfg.PolicyRules = true, 20
			l := newLab(t, cfg)
			for _, name := range []string{"node-1", "node-2", "pod-1a", "pod-1b", "pod-2a", cluster.ExternalName} {
				echoServer(t, l, name, echoPort)
			}
			var svc []cluster.Target
			for _, name := range exposed {
				ts, err := l.expose(endpoint(t, l, name), echoPort)
				if err != nil {
					t.Fatal(err)
				}
				svc = append(svc, ts...)
			}
			for _, fam := range []string{"IPv4", "IPv6"} {
				for _, p := range paths {
					to := targetFor(t, l, p, svc, fam == "IPv6")
					nw := network(t, l, p.from)
					if err := checkTCP(nw, to); err != nil {
						t.Errorf("%s %s TCP %s → %s: %v", fam, p.name, p.from, to, err)
					}
					if err := checkUDP(nw, to, 100, false); err != nil {
						t.Errorf("%s %s UDP %s → %s: %v", fam, p.name, p.from, to, err)
					}
				}
			}
		})
	}
}

// TestPathMTU: each pod's interface has the configured MTU, and the largest
// packet that crosses each path unfragmented is what the config says: the
// pod MTU, or the tunnel's MTU when the pod MTU is set too high.
func TestPathMTU(t *testing.T) {
	cases := []Config{
		{Datapath: Routed},
		{Datapath: VXLAN},
		{Datapath: VXLAN, PodMTU: 1500}, // mismatch: pods think 1500, the tunnel carries 1450
		{Datapath: Routed, UnderlayMTU: 9000},
		{Datapath: IPIP},
		{Datapath: WireGuard},
	}
	for _, cfg := range cases {
		cfg.DualStack = true
		cfg.PodsPerNode = 1
		cfg.Nodes = 2
		t.Run(fmt.Sprintf("%s-%d-%d", cfg.Datapath, cfg.UnderlayMTU, cfg.PodMTU), func(t *testing.T) {
			l := newLab(t, cfg)
			c := l.Config()
			if got := linkMTU(t, network(t, l, "pod-1a"), podIfName); got != c.PodMTU {
				t.Errorf("pod-1a %s MTU %d, want %d", podIfName, got, c.PodMTU)
			}
			echoServer(t, l, "pod-2a", echoPort)
			echoServer(t, l, "node-2", echoPort)
			tunnel := c.UnderlayMTU - headerTax(c.Datapath)
			for _, tc := range []struct {
				from, to string
				mtu      int
			}{
				{"pod-1a", "pod-2a", min(c.PodMTU, tunnel)},
				{"node-1", "node-2", c.UnderlayMTU},
				{"node-1", "pod-2a", min(c.PodMTU, tunnel)},
				{"pod-1a", "node-2", min(c.PodMTU, c.UnderlayMTU)},
			} {
				for i, hdr := range []int{28, 48} { // IPv4+UDP, IPv6+UDP
					mtu := tc.mtu
					if i == 1 && c.Datapath == IPIP && tc.to == "pod-2a" {
						mtu = min(c.PodMTU, c.UnderlayMTU) // IPv6 is routed, not tunnelled
					}
					to := netip.AddrPortFrom(endpoint(t, l, tc.to).Addrs[i], echoPort)
					nw := network(t, l, tc.from)
					if err := checkUDP(nw, to, mtu-hdr, true); err != nil {
						t.Errorf("%s→%s %s: DF datagram of %d bytes (MTU %d) failed: %v", tc.from, tc.to, to.Addr(), mtu-hdr, mtu, err)
						dumpLab(t, l)
					}
					if err := checkUDP(nw, to, mtu-hdr+1, true); err == nil {
						t.Errorf("%s→%s %s: DF datagram of %d bytes crossed a path of MTU %d", tc.from, tc.to, to.Addr(), mtu-hdr+1, mtu)
					}
				}
			}
		})
	}
}

func linkMTU(t *testing.T, nw interface{ Do(func() error) error }, name string) int {
	t.Helper()
	var mtu int
	err := nw.Do(func() error {
		ifi, err := netInterfaceByName(name)
		if err != nil {
			return err
		}
		mtu = ifi.MTU
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return mtu
}

// TestPathsFromTheServersSide: issue 14's paths land where they should,
// seen from the server: the hairpin's backend is the client itself and
// sees it masqueraded, as kube-proxy does; the external host sees node A's
// address, never the pod's; a remote NodePort crosses node B (its
// conntrack holds the connection, DNATed to the pod on A) and reaches the
// backend from B's address.
func TestPathsFromTheServersSide(t *testing.T) {
	for _, dp := range Datapaths {
		t.Run(string(dp), func(t *testing.T) {
			l := newLab(t, Config{Datapath: dp})
			for _, name := range []string{"pod-1a", "pod-1b", cluster.ExternalName} {
				peerServer(t, l, name, echoPort)
			}
			var svc []cluster.Target
			for _, name := range []string{"pod-1a", "pod-1b"} {
				ts, err := l.expose(endpoint(t, l, name), echoPort)
				if err != nil {
					t.Fatal(err)
				}
				svc = append(svc, ts...)
			}
			client := network(t, l, "pod-1a")
			node1 := []netip.Addr{NodeIP(1), TunnelIP(1)}
			node2 := []netip.Addr{NodeIP(2), TunnelIP(2)}

			hairpin := targetFor(t, l, path{"hairpin", "pod-1a", "pod-1a", cluster.ClusterIPTarget, ""}, svc, false)
			who, peer := askPeer(t, client, hairpin)
			t.Logf("hairpin %s: %s saw %s", hairpin, who, peer)
			if who != "pod-1a" || !slices.Contains(node1, peer.Addr()) {
				t.Errorf("hairpin: served by %s to %s, want pod-1a (the client) seeing node-1's address %v", who, peer, node1)
			}

			who, peer = askPeer(t, client, netip.AddrPortFrom(ExternalIP(), echoPort))
			if who != cluster.ExternalName || peer.Addr() != NodeIP(1) {
				t.Errorf("external: served by %s to %s, want the external host seeing node-1's %s", who, peer, NodeIP(1))
			}

			remote := targetFor(t, l, path{"remote", "pod-1a", "pod-1b", cluster.NodePortTarget, "node-2"}, svc, false)
			who, peer = askPeer(t, client, remote)
			t.Logf("remote NodePort %s: %s saw %s", remote, who, peer)
			if who != "pod-1b" || !slices.Contains(node2, peer.Addr()) {
				t.Errorf("remote NodePort %s: served by %s to %s, want pod-1b seeing node-2's address %v", remote, who, peer, node2)
			}
			if !conntrackHas(t, l.nodes[1].ns, remote, PodIP(1, 2)) {
				t.Errorf("node-2's conntrack has no connection to %s DNATed to pod-1b", remote)
			}
		})
	}
}

// peerServer answers each TCP connection on port inside endpoint name with
// its own name and the peer address it accepted, then closes it.
func peerServer(t testing.TB, l *Lab, name string, port int) {
	t.Helper()
	ln, err := network(t, l, name).Listen(context.Background(), "tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "%s %s\n", name, c.RemoteAddr())
			c.Close()
		}
	}()
}

// askPeer connects to a peerServer: who answered, and whom it saw.
func askPeer(t testing.TB, nw netns.Network, to netip.AddrPort) (string, netip.AddrPort) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := nw.Dial(ctx, "tcp", to.String())
	if err != nil {
		t.Errorf("dial %s: %v", to, err)
		return "", netip.AddrPort{}
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	var who, peer string
	if _, serr := fmt.Sscan(line, &who, &peer); err != nil || serr != nil {
		t.Errorf("read from %s: %q, %v, %v", to, line, err, serr)
		return "", netip.AddrPort{}
	}
	ap, err := netip.ParseAddrPort(peer)
	if err != nil {
		t.Errorf("peer %q: %v", peer, err)
	}
	return who, ap
}

// conntrackHas reports whether ns's conntrack table holds a TCP
// connection to dst whose reply comes from backend (DNATed there).
//
// like: ip netns exec NS conntrack -L -p tcp --orig-dst DST --reply-src BACKEND
func conntrackHas(t testing.TB, ns *netns.NS, dst netip.AddrPort, backend netip.Addr) bool {
	t.Helper()
	h, err := netlink.NewHandleAt(vnetns.NsHandle(ns.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	flows, err := h.ConntrackTableList(netlink.ConntrackTable, unix.AF_INET)
	if err != nil {
		t.Fatalf("conntrack -L: %v", err)
	}
	for _, f := range flows {
		if f.Forward.Protocol == unix.IPPROTO_TCP && f.Forward.DstIP.Equal(dst.Addr().AsSlice()) && f.Forward.DstPort == dst.Port() &&
			f.Reverse.SrcIP.Equal(backend.AsSlice()) {
			return true
		}
	}
	return false
}
