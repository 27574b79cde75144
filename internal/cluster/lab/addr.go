package lab

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// The addressing plan. IPv4 lives in the benchmarking range 198.18.0.0/15
// (RFC 2544): the underlay and Services in 198.18.0.0/16, pods in
// 198.19.0.0/16. IPv6 mirrors it with ULA prefixes: fd00:198:18::/48 for
// the underlay and Services, fd00:198:19::/48 for pods. See docs/lab.md.
var (
	PodSuper4   = netip.MustParsePrefix("198.19.0.0/16")
	PodSuper6   = netip.MustParsePrefix("fd00:198:19::/48")
	Underlay4   = netip.MustParsePrefix("198.18.0.0/24")    // node i = 198.18.0.i
	Underlay6   = netip.MustParsePrefix("fd00:198:18::/64") // node i = fd00:198:18::i
	ServiceCIDR = netip.MustParsePrefix("198.18.128.0/20")  // ClusterIPs from .10
	Service6    = netip.MustParsePrefix("fd00:198:18:128::/112")
	// PolicySource is where the policy rules' sources live: nothing sends
	// from there, so the rules never match test traffic.
	PolicySource4 = netip.MustParsePrefix("198.18.255.0/24")
	PolicySource6 = netip.MustParsePrefix("fd00:198:18:255::/64")
	// LinkLocalGateway is the pods' next hop, answered by the node side of
	// each pod's veth (Calico's 169.254.1.1 and ee:ee:ee:ee:ee:ee).
	LinkLocalGateway4 = netip.MustParseAddr("169.254.1.1")
	LinkLocalGateway6 = netip.MustParseAddr("fe80::ecee:eeff:feee:eeee")
	GatewayMAC        = net.HardwareAddr{0xee, 0xee, 0xee, 0xee, 0xee, 0xee}
)

// Ports the lab uses, as the projects it imitates do.
const (
	VXLANPort     = 8472  // flannel's default
	VXLANVNI      = 1     // flannel.1
	WireGuardPort = 51820 // Calico's default
	NodePortBase  = 30000 // the first NodePort, like kube's range
)

// hexish reads a small decimal number's digits as hex, so IPv6 addresses
// echo the IPv4 ones: node 12 is 198.18.0.12 and fd00:198:18::12.
func hexish(n int) uint16 {
	v, _ := strconv.ParseUint(strconv.Itoa(n), 16, 16)
	return uint16(v)
}

// v6 builds fd00:198:18:… (underlay, Services) from groups 3 to 7.
func v6(groups ...uint16) netip.Addr { return v6in(0x18, groups...) }

// v6in builds fd00:198:G2:… from groups 3 to 7.
func v6in(g2 uint16, groups ...uint16) netip.Addr {
	var b [16]byte
	b[0], b[1] = 0xfd, 0x00
	b[2], b[3] = 0x01, 0x98
	b[4], b[5] = byte(g2>>8), byte(g2)
	for i, g := range groups { // groups 3.. of the address
		b[6+2*i], b[7+2*i] = byte(g>>8), byte(g)
	}
	return netip.AddrFrom16(b)
}

// ExternalIP is the external host's address: on the switch beside the
// nodes, above every node's (MaxNodes), with no route to any pod.
func ExternalIP() netip.Addr { return netip.AddrFrom4([4]byte{198, 18, 0, 254}) }

// ExternalIP6 is the external host's IPv6 address.
func ExternalIP6() netip.Addr { return v6(0, 0, 0, 0, 0x254) }

// NodeIP is node i's (1-based) underlay address.
func NodeIP(i int) netip.Addr { return netip.AddrFrom4([4]byte{198, 18, 0, byte(i)}) }

// NodeIP6 is node i's IPv6 underlay address.
func NodeIP6(i int) netip.Addr { return v6(0, 0, 0, 0, hexish(i)) }

// PodCIDR is node i's IPv4 pod CIDR: 198.19.i.0/24.
func PodCIDR(i int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 19, byte(i), 0}), 24)
}

// PodCIDR6 is node i's IPv6 pod CIDR: fd00:198:19:i::/64.
func PodCIDR6(i int) netip.Prefix { return netip.PrefixFrom(v6in(0x19, hexish(i)), 64) }

// PodIP is pod j (1-based) of node i: 198.19.i.(10+j).
func PodIP(i, j int) netip.Addr { return netip.AddrFrom4([4]byte{198, 19, byte(i), byte(10 + j)}) }

// PodIP6 is pod j of node i: fd00:198:19:i::(10+j).
func PodIP6(i, j int) netip.Addr { return v6in(0x19, hexish(i), 0, 0, 0, hexish(10+j)) }

// TunnelIP is the address of node i's tunnel device: the network address of
// its pod CIDR, as flannel gives flannel.1 and Calico gives tunl0.
func TunnelIP(i int) netip.Addr { return PodCIDR(i).Addr() }

// TunnelIP6 is the IPv6 counterpart of TunnelIP.
func TunnelIP6(i int) netip.Addr { return PodCIDR6(i).Addr() }

// ClusterIP is the n-th (0-based) Service's virtual IPv4 address.
func ClusterIP(n int) netip.Addr {
	a := ServiceCIDR.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(10 + n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// ClusterIP6 is the n-th Service's virtual IPv6 address.
func ClusterIP6(n int) netip.Addr {
	b := Service6.Addr().As16()
	b[15] = byte(hexish(10 + n))
	b[14] = byte(hexish(10+n) >> 8)
	return netip.AddrFrom16(b)
}

// VTEPMAC is node i's VXLAN device address (flannel learns it from the
// node's annotations; the lab knows it up front).
func VTEPMAC(i int) net.HardwareAddr { return net.HardwareAddr{0x02, 0xcb, 0x00, 0x00, 0x00, byte(i)} }

// NodeName is node i's endpoint name.
func NodeName(i int) string { return fmt.Sprintf("node-%d", i) }

// PodName is pod j of node i's endpoint name: pod-1a, pod-1b, …
func PodName(i, j int) string { return fmt.Sprintf("pod-%d%c", i, 'a'+j-1) }

// Names of what the lab creates, each carrying the lab ID.
func nsPrefix(id string) string            { return "cnibench-" + id + "-" }
func switchNSName(id string) string        { return nsPrefix(id) + "switch" }
func nodeNSName(id string, i int) string   { return nsPrefix(id) + NodeName(i) }
func podNSName(id string, i, j int) string { return nsPrefix(id) + PodName(i, j) }
func externalNSName(id string) string      { return nsPrefix(id) + "external" }
func externalPortName(id string) string    { return "cb" + id + "x" }
func bridgeName(id string) string          { return "cb" + id + "br" }
func switchPortName(id string, i int) string {
	return fmt.Sprintf("cb%ss%d", id, i)
}
func podVethName(id string, j int) string { return fmt.Sprintf("cb%sp%d", id, j) }
func tunnelName(id string, d Datapath) string {
	switch d {
	case VXLAN:
		return "cb" + id + "vx1"
	case IPIP:
		return "cb" + id + "tun"
	case WireGuard:
		return "cb" + id + "wg"
	}
	return ""
}
func tableName(id string) string { return "cnibench-" + id }

// The node's uplink and the pod's interface use Kubernetes' usual name;
// their namespaces already carry the lab ID.
const (
	uplinkName = "eth0"
	podIfName  = "eth0"
)

func mustPrefixLen(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, a.BitLen()) }
