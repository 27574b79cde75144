package lab

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/cnibench/cnibench/internal/units"

	"github.com/cnibench/cnibench/internal/netns"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The builders below each do one thing an operator would do with ip or tc,
// through a netlink handle bound to one of the lab's namespaces (never the
// namespace the process started in).

// addVeth creates a veth pair whose peer is born in another namespace.
//
// like: ip link add NAME mtu MTU [address MAC] up type veth peer name PEER mtu MTU netns PEERNS
func addVeth(h *netlink.Handle, name string, mtu int, mac net.HardwareAddr, peer string, peerNS *netns.NS, peerMTU int) (netlink.Link, error) {
	v := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: name, MTU: mtu, HardwareAddr: mac, Flags: net.FlagUp, TxQLen: -1},
		PeerName:      peer,
		PeerNamespace: netlink.NsFd(peerNS.Fd()),
		PeerMTU:       uint32(peerMTU),
		PeerTxQLen:    -1,
	}
	if err := h.LinkAdd(v); err != nil {
		return nil, fmt.Errorf("ip link add %s type veth peer name %s: %w", name, peer, err)
	}
	return v, nil
}

// addBridge creates the switch.
//
// like: ip link add NAME mtu MTU up type bridge
func addBridge(h *netlink.Handle, name string, mtu int) (netlink.Link, error) {
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name, MTU: mtu, Flags: net.FlagUp, TxQLen: -1}}
	if err := h.LinkAdd(br); err != nil {
		return nil, fmt.Errorf("ip link add %s type bridge: %w", name, err)
	}
	return br, nil
}

// setMaster plugs a port into a bridge.
//
// like: ip link set PORT master BRIDGE
func setMaster(h *netlink.Handle, port, bridge netlink.Link) error {
	if err := h.LinkSetMasterByIndex(port, bridge.Attrs().Index); err != nil {
		return fmt.Errorf("ip link set %s master %s: %w", port.Attrs().Name, bridge.Attrs().Name, err)
	}
	return nil
}

// linkUp looks a link up by name and brings it up.
//
// like: ip link set NAME up
func linkUp(h *netlink.Handle, name string) (netlink.Link, error) {
	l, err := h.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("ip link show %s: %w", name, err)
	}
	if err := h.LinkSetUp(l); err != nil {
		return nil, fmt.Errorf("ip link set %s up: %w", name, err)
	}
	return l, nil
}

// addAddr assigns an address; IPv6 ones skip duplicate address detection
// so they are usable at once.
//
// like: ip addr add ADDR/LEN dev LINK [nodad]
func addAddr(h *netlink.Handle, l netlink.Link, p netip.Prefix) error {
	a := &netlink.Addr{IPNet: ipNet(p)}
	if p.Addr().Is6() {
		a.Flags = unix.IFA_F_NODAD
	}
	if err := h.AddrAdd(l, a); err != nil {
		return fmt.Errorf("ip addr add %s dev %s: %w", p, l.Attrs().Name, err)
	}
	return nil
}

// addRoute adds a route: through gw when valid, else directly on the link.
//
// like: ip route add DST [via GW [onlink]] dev LINK [scope link]
func addRoute(h *netlink.Handle, l netlink.Link, dst netip.Prefix, gw netip.Addr, onlink bool) error {
	r := &netlink.Route{LinkIndex: l.Attrs().Index, Dst: ipNet(dst)}
	if gw.IsValid() {
		r.Gw = gw.AsSlice()
		if onlink {
			r.Flags = int(netlink.FLAG_ONLINK)
		}
	} else {
		r.Scope = netlink.SCOPE_LINK
	}
	if err := h.RouteAdd(r); err != nil {
		return fmt.Errorf("ip route add %s via %v dev %s: %w", dst, gw, l.Attrs().Name, err)
	}
	return nil
}

// addNeigh adds a permanent neighbour (ARP/NDP) entry.
//
// like: ip neigh add IP lladdr MAC dev LINK nud permanent
func addNeigh(h *netlink.Handle, l netlink.Link, ip netip.Addr, mac net.HardwareAddr) error {
	fam := unix.AF_INET
	if ip.Is6() {
		fam = unix.AF_INET6
	}
	n := &netlink.Neigh{LinkIndex: l.Attrs().Index, Family: fam, State: netlink.NUD_PERMANENT, IP: ip.AsSlice(), HardwareAddr: mac}
	if err := h.NeighAdd(n); err != nil {
		return fmt.Errorf("ip neigh add %s lladdr %s dev %s: %w", ip, mac, l.Attrs().Name, err)
	}
	return nil
}

// addFDB tells a VXLAN device which underlay address owns a VTEP MAC, the
// way flannel programs its peers.
//
// like: bridge fdb append MAC dev VTEP dst IP self permanent
func addFDB(h *netlink.Handle, vtep netlink.Link, mac net.HardwareAddr, dst netip.Addr) error {
	n := &netlink.Neigh{LinkIndex: vtep.Attrs().Index, Family: unix.AF_BRIDGE, Flags: netlink.NTF_SELF,
		State: netlink.NUD_PERMANENT, IP: dst.AsSlice(), HardwareAddr: mac}
	if err := h.NeighAppend(n); err != nil {
		return fmt.Errorf("bridge fdb append %s dev %s dst %s: %w", mac, vtep.Attrs().Name, dst, err)
	}
	return nil
}

// addVXLAN creates a node's VTEP on top of its uplink.
//
// like: ip link add NAME address MAC mtu MTU up type vxlan id VNI local IP dev UPLINK dstport PORT nolearning
func addVXLAN(h *netlink.Handle, name string, mac net.HardwareAddr, mtu int, uplink netlink.Link, local netip.Addr) (netlink.Link, error) {
	vx := &netlink.Vxlan{
		LinkAttrs:    netlink.LinkAttrs{Name: name, HardwareAddr: mac, MTU: mtu, Flags: net.FlagUp, TxQLen: -1},
		VxlanId:      VXLANVNI,
		VtepDevIndex: uplink.Attrs().Index,
		SrcAddr:      local.AsSlice(),
		Port:         VXLANPort,
		Learning:     false,
	}
	if err := h.LinkAdd(vx); err != nil {
		return nil, fmt.Errorf("ip link add %s type vxlan id %d dstport %d: %w", name, VXLANVNI, VXLANPort, err)
	}
	return vx, nil
}

// addIPIP creates a node's IPIP tunnel: any remote, outer destination taken
// from each route's next hop (Calico's tunl0 works the same way).
//
// like: ip link add NAME mtu MTU up type ipip local IP pmtudisc
func addIPIP(h *netlink.Handle, name string, mtu int, local netip.Addr) (netlink.Link, error) {
	t := &netlink.Iptun{
		LinkAttrs: netlink.LinkAttrs{Name: name, MTU: mtu, Flags: net.FlagUp},
		Local:     local.AsSlice(),
		PMtuDisc:  1,
	}
	if err := h.LinkAdd(t); err != nil {
		return nil, fmt.Errorf("ip link add %s type ipip local %s: %w", name, local, err)
	}
	return t, nil
}

// addWireGuard creates a node's WireGuard device (keys and peers are set
// by configureWireGuard).
//
// like: ip link add NAME mtu MTU type wireguard
func addWireGuard(h *netlink.Handle, name string, mtu int) (netlink.Link, error) {
	wg := &netlink.Wireguard{LinkAttrs: netlink.LinkAttrs{Name: name, MTU: mtu}}
	if err := h.LinkAdd(wg); err != nil {
		return nil, fmt.Errorf("ip link add %s type wireguard: %w", name, err)
	}
	return wg, nil
}

// gsoMaxFrame is the largest packet a segmenting sender hands the qdisc:
// IPv4's 64 KiB plus the Ethernet header. A tbf whose bucket is smaller
// splits such a packet into its segments, and near the shaped rate drops
// some of them: on a link shaped to 500 Mbit/s (a 62.5 KB bucket) a
// segmented UDP sender (UDP_SEGMENT, 46 datagrams of 1400 bytes a write)
// lost datagrams above 478-481 Mbit/s of the 485.4 the link carries, and
// with the bucket at 70 KB the loss-free rate was 483-488 (5 Dec 2026).
const gsoMaxFrame = 65536 + 14

// addTBF shapes a link's egress to rate bits/s. The bucket holds 1 ms at
// rate (at least 4 full frames, and at least one whole segmented packet)
// and the queue 10 ms more, so TCP keeps the link busy and the long-run
// rate is exactly the configured one.
//
// like: tc qdisc add dev LINK root tbf rate RATE burst BURST limit LIMIT
func addTBF(h *netlink.Handle, l netlink.Link, rate uint64, mtu int) error {
	bytesPerSec := rate / 8
	burst := max(bytesPerSec/1000, uint64(4*(mtu+14)), gsoMaxFrame)
	limit := burst + bytesPerSec/100
	q := &netlink.Tbf{
		QdiscAttrs: netlink.QdiscAttrs{LinkIndex: l.Attrs().Index, Handle: netlink.MakeHandle(1, 0), Parent: netlink.HANDLE_ROOT},
		Rate:       bytesPerSec,
		Limit:      uint32(min(limit, 1<<31)),
		Buffer:     netlink.Xmittime(bytesPerSec, uint32(min(burst, 1<<31))),
	}
	if err := h.QdiscAdd(q); err != nil {
		return fmt.Errorf("tc qdisc add dev %s root tbf rate %s: %w", l.Attrs().Name, units.FlagRate(rate), err)
	}
	return nil
}

// writeSysctls sets /proc/sys/net keys inside ns (the thread's namespace
// decides which ones /proc/sys/net shows).
//
// like: ip netns exec NS sysctl -w KEY=VALUE ...
func writeSysctls(ns *netns.NS, kv [][2]string) error {
	if len(kv) == 0 {
		return nil
	}
	return netns.Do(ns, func() error {
		for _, e := range kv {
			p := filepath.Join("/proc/sys/net", e[0])
			if err := os.WriteFile(p, []byte(e[1]), 0); err != nil {
				return fmt.Errorf("sysctl net.%s=%s: %w", filepath.ToSlash(e[0]), e[1], err)
			}
		}
		return nil
	})
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
