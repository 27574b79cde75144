package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/cnibench/cnibench/internal/cluster/lab"
	"github.com/cnibench/cnibench/internal/netns"
	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// hostNS opens the namespace the harness runs in (the host's).
func hostNS() (*netns.NS, error) { return netns.Open("/proc/self/ns/net") }

// buildNetwork creates the switch and node namespaces, plugs the nodes and
// the host (as the control plane, ControlPlaneIP) into the switch, makes
// the nodes routers and puts up the guards. Names are recorded in st
// before they are created.
func buildNetwork(ctx context.Context, st *State) (nodes []*netns.NS, err error) {
	n, cni, dual := st.Config.Nodes, st.Config.CNI, st.Config.IPFamily.Dual()
	st.Namespaces = []string{switchNSName}
	for i := 1; i <= n; i++ {
		st.Namespaces = append(st.Namespaces, nodeNSName(i))
	}
	st.Guard = true
	st.HostRoutes = []string{"unreachable " + Guarded.String()}
	if err := st.save(); err != nil {
		return nil, err
	}
	sw, err := netns.NewNamed(switchNSName)
	if err != nil {
		return nil, err
	}
	defer sw.Close()
	host, err := hostNS()
	if err != nil {
		return nil, err
	}
	defer host.Close()
	ports := []lab.Port{{NS: host, Name: hostPortName, IfName: hostIfName, Addr: netip.PrefixFrom(ControlPlaneIP, SwitchNet.Bits())}}
	for i := 1; i <= n; i++ {
		ns, err := netns.NewNamed(nodeNSName(i))
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, ns)
		ports = append(ports, lab.Port{NS: ns, Name: switchPort(i), IfName: nodeIfName, Addr: netip.PrefixFrom(NodeIP(i), SwitchNet.Bits())})
	}
	defer func() {
		if err != nil {
			for _, ns := range nodes {
				ns.Close()
			}
		}
	}()
	if err := lab.BuildSwitch(ctx, sw, bridgeName, 1500, ports); err != nil {
		return nil, err
	}
	for i, ns := range nodes {
		if err := nodeSysctls(ns, dual); err != nil {
			return nil, fmt.Errorf("%s: %w", NodeName(i+1), err)
		}
		if err := guardNode(ns); err != nil {
			return nil, fmt.Errorf("%s: %w", NodeName(i+1), err)
		}
		if dual {
			if err := addAddr6(ns, netip.PrefixFrom(NodeIP6(i+1), SwitchNet6.Bits())); err != nil {
				return nil, fmt.Errorf("%s: %w", NodeName(i+1), err)
			}
		}
		if cni == Bridge {
			if err := hostGWRoutes(ns, i+1, n, dual); err != nil {
				return nil, fmt.Errorf("%s: %w", NodeName(i+1), err)
			}
		}
	}
	if err := guardHost(); err != nil {
		return nil, err
	}
	if err := addHostRoute(&netlink.Route{Type: unix.RTN_UNREACHABLE, Dst: ipNet(Guarded)}); err != nil {
		return nil, err
	}
	return nodes, nil
}

// nodeSysctls makes a node a router inside its namespace: of IPv4 and
// IPv6 when dual (no duplicate address detection: every address is
// planned, and DAD would hold each new one back a second or two), of IPv4
// alone with IPv6 off otherwise.
func nodeSysctls(ns *netns.NS, dual bool) error {
	kv := [][2]string{
		{"ipv4/ip_forward", "1"},
		{"ipv4/conf/all/rp_filter", "0"},
		{"ipv4/conf/default/rp_filter", "0"},
		{"ipv6/conf/all/disable_ipv6", "1"},
		{"ipv6/conf/default/disable_ipv6", "1"},
	}
	if dual {
		kv = append(kv[:3],
			[2]string{"ipv6/conf/all/disable_ipv6", "0"},
			[2]string{"ipv6/conf/default/disable_ipv6", "0"},
			[2]string{"ipv6/conf/all/forwarding", "1"},
			[2]string{"ipv6/conf/all/accept_dad", "0"},
			[2]string{"ipv6/conf/default/accept_dad", "0"},
			[2]string{"ipv6/conf/" + nodeIfName + "/accept_dad", "0"},
		)
	}
	return netns.Do(ns, func() error {
		for _, e := range kv {
			if err := os.WriteFile(filepath.Join("/proc/sys/net", e[0]), []byte(e[1]), 0); err != nil {
				return fmt.Errorf("sysctl net.%s=%s: %w", strings.ReplaceAll(e[0], "/", "."), e[1], err)
			}
		}
		return nil
	})
}

// nodeUplink opens a netlink handle in a node's namespace and finds its
// uplink to the switch; the caller closes the handle.
func nodeUplink(ns *netns.NS) (*netlink.Handle, netlink.Link, error) {
	h, err := netlink.NewHandleAt(vnetns.NsHandle(ns.Fd()), unix.NETLINK_ROUTE)
	if err != nil {
		return nil, nil, err
	}
	up, err := h.LinkByName(nodeIfName)
	if err != nil {
		h.Close()
		return nil, nil, fmt.Errorf("%s: %w", nodeIfName, err)
	}
	return h, up, nil
}

// addAddr6 gives a node's uplink its IPv6 address, without DAD.
//
// like: ip -6 addr add fd00:198:20::K/64 dev eth0 nodad
func addAddr6(ns *netns.NS, a netip.Prefix) error {
	h, up, err := nodeUplink(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	if err := h.AddrAdd(up, &netlink.Addr{IPNet: ipNet(a), Flags: unix.IFA_F_NODAD}); err != nil {
		return fmt.Errorf("ip addr add %s dev %s: %w", a, nodeIfName, err)
	}
	return nil
}

// hostGWRoutes gives node i a route to every other node's pod CIDR via
// that node (IPv6's too when dual), as flannel's host-gw backend does.
//
// like: ip route add 198.19.K.0/24 via 198.18.0.K dev eth0;
// ip -6 route add fd00:198:21:K::/64 via fd00:198:20::K dev eth0
func hostGWRoutes(ns *netns.NS, i, n int, dual bool) error {
	h, up, err := nodeUplink(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	for k := 1; k <= n; k++ {
		if k == i {
			continue
		}
		type route struct {
			dst netip.Prefix
			gw  netip.Addr
		}
		routes := []route{{NodePodCIDR(k), NodeIP(k)}}
		if dual {
			routes = append(routes, route{NodePodCIDR6(k), NodeIP6(k)})
		}
		for _, rt := range routes {
			r := &netlink.Route{LinkIndex: up.Attrs().Index, Dst: ipNet(rt.dst), Gw: rt.gw.AsSlice()}
			if err := h.RouteAdd(r); err != nil {
				return fmt.Errorf("ip route add %s via %s: %w", rt.dst, rt.gw, err)
			}
		}
	}
	return nil
}

// addHostRoute adds a route in the host namespace (removed at teardown:
// routes through hostIfName go with the link, the others explicitly).
func addHostRoute(r *netlink.Route) error {
	if err := netlink.RouteAdd(r); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("ip route add %v: %w", r, err)
	}
	return nil
}

// routeToPods lets the host (the control plane) reach node i's pods.
//
// like: ip route add 198.19.K.0/24 via 198.18.0.K dev cbe2ehost
func routeToPods(i int, cidr netip.Prefix) error {
	l, err := netlink.LinkByName(hostIfName)
	if err != nil {
		return err
	}
	return addHostRoute(&netlink.Route{LinkIndex: l.Attrs().Index, Dst: ipNet(cidr), Gw: NodeIP(i).AsSlice()})
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// guardHost makes sure the host never forwards anything to or from the
// cluster's switch: the host is an endpoint (the control plane), never a
// router for the cluster, so no packet of ours can leave the machine.
//
// like: nft add table inet cnibench-e2e-guard
// nft add chain inet cnibench-e2e-guard forward '{ type filter hook forward priority -10; }'
// nft add rule inet cnibench-e2e-guard forward iifname cbe2ehost drop
// nft add rule inet cnibench-e2e-guard forward oifname cbe2ehost drop
func guardHost() error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	t := c.AddTable(&nftables.Table{Name: guardTable, Family: nftables.TableFamilyINet})
	prio := nftables.ChainPriority(-10)
	fwd := c.AddChain(&nftables.Chain{Name: "forward", Table: t, Type: nftables.ChainTypeFilter, Hooknum: nftables.ChainHookForward, Priority: &prio})
	for _, key := range []expr.MetaKey{expr.MetaKeyIIFNAME, expr.MetaKeyOIFNAME} {
		c.AddRule(&nftables.Rule{Table: t, Chain: fwd, Exprs: []expr.Any{
			&expr.Meta{Key: key, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(hostIfName)},
			&expr.Verdict{Kind: expr.VerdictDrop},
		}})
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nft add table inet %s: %w", guardTable, err)
	}
	return nil
}

// guardNode drops, inside a node, anything sent or forwarded to an address
// outside 198.18.0.0/15, fd00:198:20::/46, IPv6 link-local and link-scope
// multicast (neighbour discovery), and loopback.
//
// like: nft add rule inet cnibench-e2e-guard output oifname != lo ip daddr != 198.18.0.0/15
// ip6 daddr != { fd00:198:20::/46, fe80::/10, ff02::/16 } drop (and forward)
func guardNode(ns *netns.NS) error {
	c, err := nftables.New(nftables.WithNetNSFd(ns.Fd()))
	if err != nil {
		return err
	}
	t := c.AddTable(&nftables.Table{Name: guardTable, Family: nftables.TableFamilyINet})
	prio := nftables.ChainPriority(-10)
	for _, hook := range []struct {
		name string
		num  *nftables.ChainHook
	}{{"output", nftables.ChainHookOutput}, {"forward", nftables.ChainHookForward}} {
		ch := c.AddChain(&nftables.Chain{Name: hook.name, Table: t, Type: nftables.ChainTypeFilter, Hooknum: hook.num, Priority: &prio})
		// oifname "lo" accept
		c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: []expr.Any{
			&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname("lo")},
			&expr.Verdict{Kind: expr.VerdictAccept},
		}})
		// meta nfproto ipv4 ip daddr 198.18.0.0/15 accept; meta nfproto ipv6 ip6 daddr ... accept
		for _, p := range guardedDsts {
			c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: append(daddrMatch(p), &expr.Verdict{Kind: expr.VerdictAccept})})
		}
		// drop
		c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: []expr.Any{&expr.Verdict{Kind: expr.VerdictDrop}}})
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nft add table inet %s: %w", guardTable, err)
	}
	return nil
}

// guardedDsts are the destinations a node may send or forward to.
var guardedDsts = []netip.Prefix{Guarded, Guarded6, netip.MustParsePrefix("fe80::/10"), netip.MustParsePrefix("ff02::/16")}

func ifname(n string) []byte {
	b := make([]byte, 16)
	copy(b, n)
	return b
}

// removeHostNetwork deletes the guard table and the unreachable route in
// the host namespace. Already gone is success.
func removeHostNetwork() error {
	var errs []error
	// The host's end of the switch goes with the switch's namespace, but
	// the kernel removes namespaces asynchronously: delete it now.
	if l, err := netlink.LinkByName(hostIfName); err == nil {
		if err := netlink.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
			errs = append(errs, fmt.Errorf("ip link del %s: %w", hostIfName, err))
		}
	}
	c, err := nftables.New()
	if err != nil {
		return err
	}
	tables, err := c.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return err
	}
	for _, t := range tables {
		if t.Name == guardTable {
			c.DelTable(t)
			if err := c.Flush(); err != nil {
				errs = append(errs, fmt.Errorf("nft delete table inet %s: %w", guardTable, err))
			}
		}
	}
	r := &netlink.Route{Type: unix.RTN_UNREACHABLE, Dst: ipNet(Guarded)}
	if err := netlink.RouteDel(r); err != nil && !errors.Is(err, unix.ESRCH) && !errors.Is(err, unix.ENOENT) {
		errs = append(errs, fmt.Errorf("ip route del unreachable %s: %w", Guarded, err))
	}
	return errors.Join(errs...)
}
