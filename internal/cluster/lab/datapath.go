package lab

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/cnibench/cnibench/internal/netns"
	"github.com/vishvananda/netlink"
	"golang.zx2c4.com/wireguard/wgctrl"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// buildDatapath gives each node routes to every other node's pod CIDR, the
// way the datapath's CNI programs them.
func (l *Lab) buildDatapath(hs handles) error {
	var keys []wgtypes.Key
	if l.cfg.Datapath == WireGuard {
		for range l.nodes {
			k, err := wgtypes.GeneratePrivateKey()
			if err != nil {
				return fmt.Errorf("wireguard key: %w", err)
			}
			keys = append(keys, k)
		}
	}
	for _, n := range l.nodes {
		h, err := hs.of(n.ns)
		if err != nil {
			return err
		}
		up, err := h.LinkByName(uplinkName)
		if err != nil {
			return fmt.Errorf("%s: ip link show %s: %w", NodeName(n.idx), uplinkName, err)
		}
		var err2 error
		switch l.cfg.Datapath {
		case Routed:
			err2 = l.routed(h, n, up, true)
		case VXLAN:
			err2 = l.vxlan(h, n, up)
		case IPIP:
			err2 = l.ipip(h, n, up)
		case WireGuard:
			err2 = l.wireguard(h, n, keys)
		}
		if err2 != nil {
			return fmt.Errorf("%s: %w", NodeName(n.idx), err2)
		}
	}
	return nil
}

// others calls fn for every node but n.
func (l *Lab) others(n *node, fn func(k int) error) error {
	for _, o := range l.nodes {
		if o.idx == n.idx {
			continue
		}
		if err := fn(o.idx); err != nil {
			return err
		}
	}
	return nil
}

// routed: like Calico's BGP mode without encapsulation.
//
// like: ip route add 198.19.K.0/24 via 198.18.0.K dev eth0
func (l *Lab) routed(h *netlink.Handle, n *node, up netlink.Link, v4 bool) error {
	return l.others(n, func(k int) error {
		if v4 {
			if err := addRoute(h, up, PodCIDR(k), NodeIP(k), false); err != nil {
				return err
			}
		}
		if l.cfg.DualStack {
			return addRoute(h, up, PodCIDR6(k), NodeIP6(k), false)
		}
		return nil
	})
}

// vxlan: like flannel's vxlan backend. Per remote node K:
//
// like: ip route add 198.19.K.0/24 via 198.19.K.0 dev VTEP onlink
// like: ip neigh add 198.19.K.0 lladdr MAC_K dev VTEP nud permanent
// like: bridge fdb append MAC_K dev VTEP dst 198.18.0.K self permanent
//
// IPv6 pod traffic rides the same IPv4 VTEP (inner IPv6, outer IPv4).
func (l *Lab) vxlan(h *netlink.Handle, n *node, up netlink.Link) error {
	mtu := l.cfg.UnderlayMTU - headerTax(VXLAN)
	vtep, err := addVXLAN(h, tunnelName(l.cfg.ID, VXLAN), VTEPMAC(n.idx), mtu, up, NodeIP(n.idx))
	if err != nil {
		return err
	}
	if err := addAddr(h, vtep, mustPrefixLen(TunnelIP(n.idx))); err != nil {
		return err
	}
	if l.cfg.DualStack {
		if err := addAddr(h, vtep, mustPrefixLen(TunnelIP6(n.idx))); err != nil {
			return err
		}
	}
	return l.others(n, func(k int) error {
		if err := addFDB(h, vtep, VTEPMAC(k), NodeIP(k)); err != nil {
			return err
		}
		pairs := [][2]any{{PodCIDR(k), TunnelIP(k)}}
		if l.cfg.DualStack {
			pairs = append(pairs, [2]any{PodCIDR6(k), TunnelIP6(k)})
		}
		for _, p := range pairs {
			cidr, gw := p[0].(netip.Prefix), p[1].(netip.Addr)
			if err := addNeigh(h, vtep, gw, VTEPMAC(k)); err != nil {
				return err
			}
			if err := addRoute(h, vtep, cidr, gw, true); err != nil {
				return err
			}
		}
		return nil
	})
}

// ipip: like Calico's IPIP mode. IPv6 pods are routed without
// encapsulation, as Calico does for IPv6 pools.
//
// like: ip route add 198.19.K.0/24 via 198.18.0.K dev TUNNEL onlink
func (l *Lab) ipip(h *netlink.Handle, n *node, up netlink.Link) error {
	tun, err := addIPIP(h, tunnelName(l.cfg.ID, IPIP), l.cfg.UnderlayMTU-headerTax(IPIP), NodeIP(n.idx))
	if err != nil {
		return err
	}
	if err := addAddr(h, tun, mustPrefixLen(TunnelIP(n.idx))); err != nil {
		return err
	}
	if err := l.others(n, func(k int) error {
		return addRoute(h, tun, PodCIDR(k), NodeIP(k), true)
	}); err != nil {
		return err
	}
	return l.routed(h, n, up, false)
}

// wireguard: like Calico's WireGuard mode: one device per node, a peer per
// other node whose allowed IPs are that node's pod CIDRs.
//
// like: ip route add 198.19.K.0/24 dev WG scope link
func (l *Lab) wireguard(h *netlink.Handle, n *node, keys []wgtypes.Key) error {
	name := tunnelName(l.cfg.ID, WireGuard)
	wg, err := addWireGuard(h, name, l.cfg.UnderlayMTU-headerTax(WireGuard))
	if err != nil {
		return err
	}
	if err := configureWireGuard(n.ns, name, n.idx, keys, l.cfg.DualStack); err != nil {
		return err
	}
	if err := addAddr(h, wg, mustPrefixLen(TunnelIP(n.idx))); err != nil {
		return err
	}
	if err := h.LinkSetUp(wg); err != nil {
		return fmt.Errorf("ip link set %s up: %w", name, err)
	}
	return l.others(n, func(k int) error {
		if err := addRoute(h, wg, PodCIDR(k), netip.Addr{}, false); err != nil {
			return err
		}
		if l.cfg.DualStack {
			return addRoute(h, wg, PodCIDR6(k), netip.Addr{}, false)
		}
		return nil
	})
}

// configureWireGuard sets node i's key, port and peers through the
// kernel's generic netlink family, from inside the node's namespace.
//
// like: wg set WG private-key KEY listen-port 51820 peer PUB endpoint 198.18.0.K:51820 allowed-ips 198.19.K.0/24
func configureWireGuard(ns *netns.NS, name string, i int, keys []wgtypes.Key, dual bool) error {
	var peers []wgtypes.PeerConfig
	for k := 1; k <= len(keys); k++ {
		if k == i {
			continue
		}
		allowed := []net.IPNet{*ipNet(PodCIDR(k)), *ipNet(mustPrefixLen(TunnelIP(k)))}
		if dual {
			allowed = append(allowed, *ipNet(PodCIDR6(k)))
		}
		peers = append(peers, wgtypes.PeerConfig{
			PublicKey:  keys[k-1].PublicKey(),
			Endpoint:   &net.UDPAddr{IP: NodeIP(k).AsSlice(), Port: WireGuardPort},
			AllowedIPs: allowed,
		})
	}
	port := WireGuardPort
	cfg := wgtypes.Config{PrivateKey: &keys[i-1], ListenPort: &port, ReplacePeers: true, Peers: peers}
	return netns.Do(ns, func() error {
		c, err := wgctrl.New()
		if err != nil {
			return fmt.Errorf("wireguard control: %w", err)
		}
		defer c.Close()
		if err := c.ConfigureDevice(name, cfg); err != nil {
			return fmt.Errorf("wg set %s: %w", name, err)
		}
		return nil
	})
}
