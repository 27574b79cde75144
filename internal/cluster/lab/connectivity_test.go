package lab

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster"
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
}

// targetFor picks the address a path's client uses in family v6.
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
			if tg.Kind == p.kind && (tg.Addr.Addr() == via[0] || (len(via) > 1 && tg.Addr.Addr() == via[1])) && tg.Addr.Addr().Is6() == v6 {
				return tg.Addr
			}
		}
	default:
		for _, tg := range svc {
			if tg.Kind == p.kind && tg.Addr.Addr().Is6() == v6 {
				return tg.Addr
			}
		}
	}
	t.Fatalf("no %s target for %s", p.kind, p.name)
	return netip.AddrPort{}
}

func TestConnectivity(t *testing.T) {
	for _, dp := range Datapaths {
		t.Run(string(dp), func(t *testing.T) {
			l := newLab(t, Config{Datapath: dp, DualStack: true, PolicyRules: 20})
			for _, name := range []string{"node-1", "node-2", "pod-1a", "pod-1b", "pod-2a"} {
				echoServer(t, l, name, echoPort)
			}
			svc, err := l.expose(endpoint(t, l, "pod-2a"), echoPort)
			if err != nil {
				t.Fatal(err)
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
