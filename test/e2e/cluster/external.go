package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"sync"
	"time"

	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/netns"
	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// ExternalIP and ExternalIP6 are the external host's addresses on the
// switch: outside the cluster (no node, no pod network), inside the
// guarded ranges. It has ExternalIP6 on a dual-stack cluster only.
var (
	ExternalIP  = netip.MustParseAddr("198.18.0.200")
	ExternalIP6 = netip.MustParseAddr("fd00:198:20::200")
)

const (
	externalNSName = namePrefix + "-external" // Down deletes it with the others
	externalPort   = namePrefix + "sx"        // its switch side
	egressTable    = "cnibench-e2e-egress"
)

// External is a host outside the cluster on the harness's switch, running
// cnibench's server (the engine, in this process, inside its namespace):
// the far end of pod-external and node-external. It records the address
// each test came from, so a test checks the node's SNAT from the server's
// side.
type External struct {
	Addr  netip.AddrPort // where it serves
	Addr6 netip.AddrPort // where it serves over IPv6; zero on a single-stack cluster
	ns    *netns.NS
	st    *State
	stop  context.CancelFunc
	done  chan error

	mu      sync.Mutex
	remotes []netip.Addr
}

// StartExternal plugs the external host into the switch of the cluster st
// records and starts a server on it at port. In the bridge mode, whose
// CNI masquerades nothing, each node masquerades its pods' traffic to the
// host as a CNI's egress SNAT (flannel's --ip-masq) would; flannel does it
// itself. Close removes it all.
func StartExternal(ctx context.Context, st *State, port int, log *slog.Logger) (_ *External, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	_ = netns.DeleteNamed(externalNSName) // a crashed test's
	ns, err := netns.NewNamed(externalNSName)
	if err != nil {
		return nil, err
	}
	e := &External{Addr: netip.AddrPortFrom(ExternalIP, uint16(port)), ns: ns, st: st, done: make(chan error, 1)}
	dual := st.Config.IPFamily.Dual()
	if dual {
		e.Addr6 = netip.AddrPortFrom(ExternalIP6, uint16(port))
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, e.Close())
		}
	}()
	if err := plugExternal(ns, dual); err != nil {
		return nil, err
	}
	if st.Config.CNI == Bridge {
		if err := e.forEachNode(masqueradeToExternal); err != nil {
			return nil, err
		}
	}
	srvCtx, cancel := context.WithCancel(context.Background())
	e.stop = cancel
	srv := &engine.Server{Network: netns.Network{NS: ns}, Logger: log,
		OnTest:    func(t *engine.ServerTest) { e.record(t.Remote) },
		OnLatency: func(remote string, _ engine.LatencyMode, _ error) { e.record(remote) }}
	ready := make(chan struct{})
	// One socket for both families: ":port" when dual.
	listen := e.Addr.String()
	if dual {
		listen = fmt.Sprintf(":%d", port)
	}
	go func() { e.done <- srv.ListenAndServe(srvCtx, listen, func(net.Addr) { close(ready) }) }()
	select {
	case <-ready:
		return e, nil
	case err := <-e.done:
		e.done <- err
		return nil, fmt.Errorf("external server on %s: %w", e.Addr, err)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (e *External) record(remote string) {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.remotes = append(e.remotes, ap.Addr().Unmap())
}

// Remotes are the addresses the server's tests came from, in order.
func (e *External) Remotes() []netip.Addr {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]netip.Addr(nil), e.remotes...)
}

// Close stops the server and removes the host and the nodes' masquerade.
func (e *External) Close() error {
	var errs []error
	if e.stop != nil {
		e.stop()
		if err := <-e.done; err != nil {
			errs = append(errs, err)
		}
		e.stop = nil
	}
	if e.st.Config.CNI == Bridge {
		errs = append(errs, e.forEachNode(removeEgress))
	}
	e.ns.Close()
	errs = append(errs, netns.DeleteNamed(externalNSName))
	return errors.Join(errs...)
}

func (e *External) forEachNode(fn func(*netns.NS) error) error {
	for i := 1; i <= e.st.Config.Nodes; i++ {
		ns, err := netns.Open(filepath.Join(netns.RunDir, nodeNSName(i)))
		if err != nil {
			return err
		}
		err = fn(ns)
		ns.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", NodeName(i), err)
		}
	}
	return nil
}

// plugExternal gives ns an eth0 on the switch with ExternalIP (and
// ExternalIP6, without DAD, when dual).
//
// like: ip -n SWITCH link add cbe2esx type veth peer name eth0 netns EXT;
// ip -n SWITCH link set cbe2esx master cbe2ebr up; ip -n EXT addr add 198.18.0.200/24 dev eth0;
// ip -n EXT addr add fd00:198:20::200/64 dev eth0 nodad
func plugExternal(ns *netns.NS, dual bool) error {
	sw, err := netns.Open(filepath.Join(netns.RunDir, switchNSName))
	if err != nil {
		return err
	}
	defer sw.Close()
	swh, err := netlink.NewHandleAt(vnetns.NsHandle(sw.Fd()), unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer swh.Close()
	br, err := swh.LinkByName(bridgeName)
	if err != nil {
		return fmt.Errorf("the switch's bridge %s: %w", bridgeName, err)
	}
	v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: externalPort, MTU: 1500, Flags: net.FlagUp, MasterIndex: br.Attrs().Index},
		PeerName: nodeIfName, PeerNamespace: netlink.NsFd(ns.Fd()), PeerMTU: 1500}
	if err := swh.LinkAdd(v); err != nil {
		return fmt.Errorf("ip link add %s type veth peer name %s: %w", externalPort, nodeIfName, err)
	}
	h, err := netlink.NewHandleAt(vnetns.NsHandle(ns.Fd()), unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer h.Close()
	for _, name := range []string{"lo", nodeIfName} {
		l, err := h.LinkByName(name)
		if err != nil {
			return err
		}
		if err := h.LinkSetUp(l); err != nil {
			return fmt.Errorf("ip link set %s up: %w", name, err)
		}
		if name != nodeIfName {
			continue
		}
		addrs := []*netlink.Addr{{IPNet: ipNet(netip.PrefixFrom(ExternalIP, SwitchNet.Bits()))}}
		if dual {
			addrs = append(addrs, &netlink.Addr{IPNet: ipNet(netip.PrefixFrom(ExternalIP6, SwitchNet6.Bits())), Flags: unix.IFA_F_NODAD})
		}
		for _, a := range addrs {
			if err := h.AddrAdd(l, a); err != nil {
				return fmt.Errorf("ip addr add %s dev %s: %w", a.IPNet, name, err)
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		l, err := h.LinkByName(nodeIfName)
		if err == nil && l.Attrs().OperState == netlink.OperUp {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the external host's %s is not up after 5s", nodeIfName)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// masqueradeToExternal makes a node masquerade its pods' traffic to the
// external host, over IPv4 and IPv6.
//
// like: nft add table inet cnibench-e2e-egress; nft add chain inet cnibench-e2e-egress postrouting
// '{ type nat hook postrouting priority 100; }'; nft add rule inet cnibench-e2e-egress postrouting
// ip saddr 198.19.0.0/16 ip daddr 198.18.0.200 masquerade (and ip6 saddr fd00:198:21::/48 ip6 daddr fd00:198:20::200)
func masqueradeToExternal(ns *netns.NS) error {
	c, err := nftables.New(nftables.WithNetNSFd(ns.Fd()))
	if err != nil {
		return err
	}
	t := c.AddTable(&nftables.Table{Name: egressTable, Family: nftables.TableFamilyINet})
	ch := c.AddChain(&nftables.Chain{Name: "postrouting", Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource})
	for _, r := range []struct {
		pods     netip.Prefix
		external netip.Addr
		src      uint32
	}{{PodNet, ExternalIP, ip4Saddr}, {PodNet6, ExternalIP6, ip6Saddr}} {
		exprs := append(daddrMatch(netip.PrefixFrom(r.external, r.external.BitLen())), addrMatch(r.src, r.pods)...)
		c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: append(exprs, &expr.Masq{})})
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nft add table inet %s: %w", egressTable, err)
	}
	return nil
}

// removeEgress deletes masqueradeToExternal's table, if there.
func removeEgress(ns *netns.NS) error {
	c, err := nftables.New(nftables.WithNetNSFd(ns.Fd()))
	if err != nil {
		return err
	}
	tables, err := c.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return err
	}
	for _, t := range tables {
		if t.Name == egressTable {
			c.DelTable(t)
			return c.Flush()
		}
	}
	return nil
}

// Offsets of the addresses in the IPv4 and IPv6 headers, for addrMatch.
const (
	ip4Saddr = 12
	ip4Daddr = 16
	ip6Saddr = 8
	ip6Daddr = 24
)

// addrMatch is nft's `ip saddr PREFIX` (offset ip4Saddr) or `ip daddr
// PREFIX` (ip4Daddr), or ip6's (ip6Saddr, ip6Daddr) for an IPv6 prefix, in
// register 1. It does not check the packet's family: see familyMatch.
func addrMatch(offset uint32, p netip.Prefix) []expr.Any {
	n := uint32(p.Addr().BitLen() / 8)
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: n},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: n, Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()), Xor: make([]byte, n)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: p.Masked().Addr().AsSlice()},
	}
}

// familyMatch is `meta nfproto ipv4` or `meta nfproto ipv6`, for p's
// family, in an inet table.
func familyMatch(p netip.Prefix) []expr.Any {
	proto := byte(unix.NFPROTO_IPV4)
	if p.Addr().Is6() {
		proto = unix.NFPROTO_IPV6
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
	}
}

// daddrMatch is `ip daddr PREFIX` or `ip6 daddr PREFIX` in an inet table.
func daddrMatch(p netip.Prefix) []expr.Any {
	off := uint32(ip4Daddr)
	if p.Addr().Is6() {
		off = ip6Daddr
	}
	return append(familyMatch(p), addrMatch(off, p)...)
}
