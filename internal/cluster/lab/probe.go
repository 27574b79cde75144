package lab

import (
	"fmt"
	"sync"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/netns"
	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// kernelModule names the kernel module each datapath needs beyond veth and
// bridge, for the error when it is missing.
var kernelModule = map[Datapath]string{
	Routed:    "veth",
	VXLAN:     "vxlan",
	IPIP:      "ipip",
	WireGuard: "wireguard",
}

var (
	probeMu    sync.Mutex
	probeCache = map[Datapath]error{}
)

// Supported reports whether this kernel can build d, by creating a device
// of its type in a throwaway namespace (this works whether the module is
// built in or loadable, and needs no /lib/modules). Results are cached.
func Supported(d Datapath) error {
	probeMu.Lock()
	defer probeMu.Unlock()
	if err, ok := probeCache[d]; ok {
		return err
	}
	err := probe(d)
	probeCache[d] = err
	return err
}

// SupportedDatapaths lists the datapaths this kernel can build.
func SupportedDatapaths() []Datapath {
	var ok []Datapath
	for _, d := range Datapaths {
		if Supported(d) == nil {
			ok = append(ok, d)
		}
	}
	return ok
}

// checkDatapath fails with the missing module and the alternatives.
func checkDatapath(d Datapath) error {
	err := Supported(d)
	if err == nil {
		return nil
	}
	return fmt.Errorf("datapath %s needs the %s kernel module, which this kernel lacks (%v); this kernel supports: %s",
		d, kernelModule[d], err, cluster.JoinDatapaths(SupportedDatapaths()))
}

func probe(d Datapath) error {
	ns, err := netns.New()
	if err != nil {
		return err
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(vnetns.NsHandle(ns.Fd()), unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer h.Close()
	var link netlink.Link
	attrs := netlink.LinkAttrs{Name: "probe0"}
	switch d {
	case Routed:
		link = &netlink.Veth{LinkAttrs: attrs, PeerName: "probe1"}
		if err := h.LinkAdd(link); err != nil {
			return err
		}
		link = &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "probe2"}}
	case VXLAN:
		link = &netlink.Vxlan{LinkAttrs: attrs, VxlanId: VXLANVNI, Port: VXLANPort}
	case IPIP:
		link = &netlink.Iptun{LinkAttrs: attrs, Local: NodeIP(1).AsSlice()}
	case WireGuard:
		link = &netlink.Wireguard{LinkAttrs: attrs}
	default:
		return fmt.Errorf("unknown datapath %q", d)
	}
	return h.LinkAdd(link)
}
