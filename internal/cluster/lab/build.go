package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/cnibench/cnibench/internal/netns"
	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Lab is a built emulated cluster. It implements cluster.Cluster; Close
// removes everything it built.
type Lab struct {
	cfg Config
	log *slog.Logger

	sw    *netns.NS
	ext   *netns.NS // the external host on the switch
	nodes []*node

	mu       sync.Mutex
	undo     []func() error // teardown steps, run in reverse
	services []service
	servers  map[*server]struct{}
	closed   bool
}

type node struct {
	idx  int
	ns   *netns.NS
	pods []*pod
}

type pod struct {
	node, idx int
	ns        *netns.NS
}

// Build creates a lab from cfg (defaults filled in), or fails having built
// nothing: a failure half-way rolls back every object made so far. It
// checks first that the kernel supports the datapath.
func Build(ctx context.Context, cfg Config) (*Lab, error) {
	return builder{}.build(ctx, cfg)
}

// builder builds labs; Build uses its zero value.
type builder struct {
	// beforeStep, when set (by a test), runs before each build step and
	// can fail it to prove the rollback.
	beforeStep func(step string) error
}

func (b builder) build(ctx context.Context, cfg Config) (*Lab, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("lab config: %w", err)
	}
	if err := checkDatapath(cfg.Datapath); err != nil {
		return nil, err
	}
	l := &Lab{cfg: cfg, log: cfg.Logger, servers: map[*server]struct{}{}}
	if l.log == nil {
		l.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := l.buildSteps(ctx, b.beforeStep); err != nil {
		if rerr := l.teardown(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("roll back: %w", rerr))
		}
		return nil, fmt.Errorf("build lab %s: %w", cfg.ID, err)
	}
	l.log.Info("lab built", "id", cfg.ID, "datapath", cfg.Datapath, "nodes", cfg.Nodes, "pods_per_node", cfg.PodsPerNode)
	return l, nil
}

// Config is the lab's configuration with defaults filled in.
func (l *Lab) Config() Config { return l.cfg }

// ID is the lab's ID, carried by every name it creates.
func (l *Lab) ID() string { return l.cfg.ID }

// handles is the set of netlink handles of one build, closed at its end.
type handles map[*netns.NS]*netlink.Handle

func (hs handles) of(ns *netns.NS) (*netlink.Handle, error) {
	if h, ok := hs[ns]; ok {
		return h, nil
	}
	h, err := netlink.NewHandleAt(vnetns.NsHandle(ns.Fd()), unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink in %s: %w", ns, err)
	}
	hs[ns] = h
	return h, nil
}

func (hs handles) close() {
	for _, h := range hs {
		h.Close()
	}
}

// buildSteps builds the lab step by step, calling beforeStep (if set)
// before each.
func (l *Lab) buildSteps(ctx context.Context, beforeStep func(step string) error) error {
	hs := handles{}
	defer hs.close()
	steps := []struct {
		name string
		fn   func() error
	}{
		{"namespaces", l.createNamespaces},
		{"sysctls", l.setSysctls},
		{"switch", func() error { return l.buildSwitch(hs) }},
		{"pods", func() error { return l.buildPods(hs) }},
		{"datapath", func() error { return l.buildDatapath(hs) }},
		{"nftables", l.buildNftables},
		{"ready", func() error { return l.waitReady(ctx, hs) }},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if beforeStep != nil {
			if err := beforeStep(s.name); err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
		}
		if err := s.fn(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

// newNS creates one of the lab's namespaces and registers its removal.
func (l *Lab) newNS(name string) (*netns.NS, error) {
	var ns *netns.NS
	var err error
	if l.cfg.Named {
		ns, err = netns.NewNamed(name)
	} else {
		ns, err = netns.New()
	}
	if err != nil {
		return nil, err
	}
	l.undo = append(l.undo, func() error {
		err := ns.Close()
		if l.cfg.Named {
			err = errors.Join(err, netns.DeleteNamed(name))
		}
		return err
	})
	return ns, nil
}

// createNamespaces makes the switch, node and pod namespaces.
//
// like: ip netns add cnibench-ID-switch; ip netns add cnibench-ID-node-1; …
func (l *Lab) createNamespaces() error {
	id := l.cfg.ID
	var err error
	if l.sw, err = l.newNS(switchNSName(id)); err != nil {
		return err
	}
	if l.ext, err = l.newNS(externalNSName(id)); err != nil {
		return err
	}
	for i := 1; i <= l.cfg.Nodes; i++ {
		n := &node{idx: i}
		if n.ns, err = l.newNS(nodeNSName(id, i)); err != nil {
			return err
		}
		l.nodes = append(l.nodes, n)
		for j := 1; j <= l.cfg.PodsPerNode; j++ {
			p := &pod{node: i, idx: j}
			if p.ns, err = l.newNS(podNSName(id, i, j)); err != nil {
				return err
			}
			n.pods = append(n.pods, p)
		}
	}
	return nil
}

// setSysctls makes nodes routers and keeps addresses usable at once.
func (l *Lab) setSysctls() error {
	common := [][2]string{
		{"ipv6/conf/all/accept_dad", "0"},
		{"ipv6/conf/default/accept_dad", "0"},
	}
	if !l.cfg.DualStack {
		// No IPv6 at all: no link-local chatter on the lab's wires.
		common = [][2]string{
			{"ipv6/conf/all/disable_ipv6", "1"},
			{"ipv6/conf/default/disable_ipv6", "1"},
		}
	}
	nodeKV := append([][2]string{
		{"ipv4/ip_forward", "1"},
		// A new namespace inherits IPv4 settings from the host's: pin them.
		{"ipv4/conf/all/rp_filter", "0"},
		{"ipv4/conf/default/rp_filter", "0"},
	}, common...)
	if l.cfg.DualStack {
		nodeKV = append(nodeKV, [2]string{"ipv6/conf/all/forwarding", "1"})
	}
	if err := writeSysctls(l.sw, common); err != nil {
		return fmt.Errorf("switch: %w", err)
	}
	if err := writeSysctls(l.ext, common); err != nil {
		return fmt.Errorf("external: %w", err)
	}
	for _, n := range l.nodes {
		if err := writeSysctls(n.ns, nodeKV); err != nil {
			return fmt.Errorf("%s: %w", NodeName(n.idx), err)
		}
		for _, p := range n.pods {
			if err := writeSysctls(p.ns, common); err != nil {
				return fmt.Errorf("%s: %w", PodName(p.node, p.idx), err)
			}
		}
	}
	return nil
}

// buildSwitch makes the bridge and each node's uplink, addressed, shaped.
func (l *Lab) buildSwitch(hs handles) error {
	id, mtu := l.cfg.ID, l.cfg.UnderlayMTU
	swh, err := hs.of(l.sw)
	if err != nil {
		return err
	}
	br, err := addBridge(swh, bridgeName(id), mtu)
	if err != nil {
		return err
	}
	for _, n := range l.nodes {
		h, up, err := l.plug(hs, br, switchPortName(id, n.idx), n.ns, NodeIP(n.idx))
		if err != nil {
			return err
		}
		// Services: like a node's default route, it gets the packet to
		// the nat hook, whose DNAT then re-routes it.
		if err := addRoute(h, up, ServiceCIDR, netip.Addr{}, false); err != nil {
			return err
		}
		if l.cfg.DualStack {
			if err := addAddr(h, up, netip.PrefixFrom(NodeIP6(n.idx), Underlay6.Bits())); err != nil {
				return err
			}
			if err := addRoute(h, up, Service6, netip.Addr{}, false); err != nil {
				return err
			}
		}
		if l.cfg.LinkRate > 0 {
			if err := addTBF(h, up, l.cfg.LinkRate, mtu); err != nil {
				return err
			}
		}
	}
	return l.buildExternal(hs, br)
}

// buildExternal plugs the external host into the switch: an address on
// the underlay and nothing else, no route to any pod, so pod traffic
// reaches it only masqueraded to its node's address, as the Internet
// sees a cluster's egress.
func (l *Lab) buildExternal(hs handles, br netlink.Link) error {
	h, up, err := l.plug(hs, br, externalPortName(l.cfg.ID), l.ext, ExternalIP())
	if err != nil {
		return err
	}
	if l.cfg.DualStack {
		return addAddr(h, up, netip.PrefixFrom(ExternalIP6(), Underlay6.Bits()))
	}
	return nil
}

// plug connects ns to the switch bridge br through a veth (port on the
// switch side, eth0 inside ns, both up with lo), and gives eth0 addr on
// the underlay. It returns ns's handle and its eth0.
func (l *Lab) plug(hs handles, br netlink.Link, port string, ns *netns.NS, addr netip.Addr) (*netlink.Handle, netlink.Link, error) {
	swh, err := hs.of(l.sw)
	if err != nil {
		return nil, nil, err
	}
	mtu := l.cfg.UnderlayMTU
	p, err := addVeth(swh, port, mtu, nil, uplinkName, ns, mtu)
	if err != nil {
		return nil, nil, err
	}
	if err := setMaster(swh, p, br); err != nil {
		return nil, nil, err
	}
	h, err := hs.of(ns)
	if err != nil {
		return nil, nil, err
	}
	if _, err := linkUp(h, "lo"); err != nil {
		return nil, nil, err
	}
	up, err := linkUp(h, uplinkName)
	if err != nil {
		return nil, nil, err
	}
	return h, up, addAddr(h, up, netip.PrefixFrom(addr, Underlay4.Bits()))
}

// buildPods wires each pod to its node the way Calico does: the pod has a
// /32 (/128) and a default route via a link-local gateway that the node's
// side of the veth (MAC ee:ee:ee:ee:ee:ee) answers; the node has a host
// route per pod.
func (l *Lab) buildPods(hs handles) error {
	for _, n := range l.nodes {
		nh, err := hs.of(n.ns)
		if err != nil {
			return err
		}
		for _, p := range n.pods {
			name := podVethName(l.cfg.ID, p.idx)
			hostSide, err := addVeth(nh, name, l.cfg.PodMTU, GatewayMAC, podIfName, p.ns, l.cfg.PodMTU)
			if err != nil {
				return err
			}
			ph, err := hs.of(p.ns)
			if err != nil {
				return err
			}
			if _, err := linkUp(ph, "lo"); err != nil {
				return err
			}
			eth, err := linkUp(ph, podIfName)
			if err != nil {
				return err
			}
			type fam struct {
				ip, gw netip.Addr
				def    netip.Prefix
			}
			fams := []fam{{PodIP(n.idx, p.idx), LinkLocalGateway4, netip.MustParsePrefix("0.0.0.0/0")}}
			if l.cfg.DualStack {
				fams = append(fams, fam{PodIP6(n.idx, p.idx), LinkLocalGateway6, netip.MustParsePrefix("::/0")})
			}
			for _, f := range fams {
				if err := addAddr(ph, eth, mustPrefixLen(f.ip)); err != nil {
					return err
				}
				if err := addNeigh(ph, eth, f.gw, GatewayMAC); err != nil {
					return err
				}
				if f.ip.Is4() {
					if err := addRoute(ph, eth, mustPrefixLen(f.gw), netip.Addr{}, false); err != nil {
						return err
					}
				}
				if err := addRoute(ph, eth, f.def, f.gw, false); err != nil {
					return err
				}
				if err := addRoute(nh, hostSide, mustPrefixLen(f.ip), netip.Addr{}, false); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// waitReady waits until every veth in the lab is operationally up. The
// kernel turns a link's carrier on in a work item that needs the RTNL lock
// (linkwatch); until it runs, the link's qdisc drops every packet, and
// while other namespaces are being destroyed that can take a second.
func (l *Lab) waitReady(ctx context.Context, hs handles) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	all := []*netns.NS{l.sw, l.ext}
	for _, n := range l.nodes {
		all = append(all, n.ns)
		for _, p := range n.pods {
			all = append(all, p.ns)
		}
	}
	for _, ns := range all {
		h, err := hs.of(ns)
		if err != nil {
			return err
		}
		for {
			down, err := notReady(h, l.cfg.DualStack)
			if err != nil {
				return err
			}
			if down == "" {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("link %s in %s not up after %v: %w", down, ns, readyTimeout, ctx.Err())
			case <-time.After(time.Millisecond):
			}
		}
	}
	return nil
}

const readyTimeout = 20 * time.Second

// notReady names a veth that is not operationally up yet, or an IPv6
// address still tentative (addrconf finishes even DAD-less addresses in a
// work item after the carrier comes up); "" when all are ready.
//
// like: ip -br link show type veth | grep -v ' UP '; ip -6 addr show tentative
func notReady(h *netlink.Handle, v6 bool) (string, error) {
	links, err := h.LinkList()
	if err != nil {
		return "", fmt.Errorf("ip link show: %w", err)
	}
	for _, lk := range links {
		if lk.Type() == "veth" && lk.Attrs().OperState != netlink.OperUp {
			return lk.Attrs().Name, nil
		}
	}
	if !v6 {
		return "", nil
	}
	addrs, err := h.AddrList(nil, netlink.FAMILY_V6)
	if err != nil {
		return "", fmt.Errorf("ip -6 addr show: %w", err)
	}
	for _, a := range addrs {
		if a.Flags&unix.IFA_F_TENTATIVE != 0 {
			return "address " + a.IPNet.String(), nil
		}
	}
	return "", nil
}

// teardown runs the undo steps in reverse. Running it again is a no-op.
func (l *Lab) teardown() error {
	var errs []error
	for i := len(l.undo) - 1; i >= 0; i-- {
		if err := l.undo[i](); err != nil {
			errs = append(errs, err)
		}
	}
	l.undo = nil
	return errors.Join(errs...)
}
