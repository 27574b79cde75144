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

// ExternalIP is the external host's address on the switch: outside the
// cluster (no node, no pod network), inside the guarded range.
var ExternalIP = netip.MustParseAddr("198.18.0.200")

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
	Addr netip.AddrPort // where it serves
	ns   *netns.NS
	st   *State
	stop context.CancelFunc
	done chan error

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
	defer func() {
		if err != nil {
			err = errors.Join(err, e.Close())
		}
	}()
	if err := plugExternal(ns); err != nil {
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
	go func() { e.done <- srv.ListenAndServe(srvCtx, e.Addr.String(), func(net.Addr) { close(ready) }) }()
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

// plugExternal gives ns an eth0 on the switch with ExternalIP.
//
// like: ip -n SWITCH link add cbe2esx type veth peer name eth0 netns EXT;
// ip -n SWITCH link set cbe2esx master cbe2ebr up; ip -n EXT addr add 198.18.0.200/24 dev eth0
func plugExternal(ns *netns.NS) error {
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
		if name == nodeIfName {
			a := &netlink.Addr{IPNet: ipNet(netip.PrefixFrom(ExternalIP, SwitchNet.Bits()))}
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
// external host.
//
// like: nft add table ip cnibench-e2e-egress; nft add chain ip cnibench-e2e-egress postrouting
// '{ type nat hook postrouting priority 100; }'; nft add rule ip cnibench-e2e-egress postrouting
// ip saddr 198.19.0.0/16 ip daddr 198.18.0.200 masquerade
func masqueradeToExternal(ns *netns.NS) error {
	c, err := nftables.New(nftables.WithNetNSFd(ns.Fd()))
	if err != nil {
		return err
	}
	t := c.AddTable(&nftables.Table{Name: egressTable, Family: nftables.TableFamilyIPv4})
	ch := c.AddChain(&nftables.Chain{Name: "postrouting", Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource})
	exprs := append(ip4Match(ip4Saddr, PodNet), ip4Match(ip4Daddr, netip.PrefixFrom(ExternalIP, 32))...)
	c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: append(exprs, &expr.Masq{})})
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nft add table ip %s: %w", egressTable, err)
	}
	return nil
}

// removeEgress deletes masqueradeToExternal's table, if there.
func removeEgress(ns *netns.NS) error {
	c, err := nftables.New(nftables.WithNetNSFd(ns.Fd()))
	if err != nil {
		return err
	}
	tables, err := c.ListTablesOfFamily(nftables.TableFamilyIPv4)
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

// Offsets of the IPv4 header's addresses, for ip4Match.
const (
	ip4Saddr = 12
	ip4Daddr = 16
)

// ip4Match is nft's `ip saddr PREFIX` (offset ip4Saddr) or `ip daddr
// PREFIX` (ip4Daddr), in register 1.
func ip4Match(offset uint32, p netip.Prefix) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: net.CIDRMask(p.Bits(), 32), Xor: []byte{0, 0, 0, 0}},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: p.Masked().Addr().AsSlice()},
	}
}
