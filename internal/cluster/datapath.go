package cluster

import (
	"fmt"
	"net/netip"
	"strings"
)

// Datapath is how traffic crosses from one endpoint to another, in the one
// vocabulary every backend, the run record and the reports share. It is a
// string, so JSON carries it as its name.
type Datapath string

const (
	// Host is node to node on the hosts' own network: no pod network.
	Host Datapath = "host"
	// Bridge joins the pods of one node (a bridge or veths): the traffic
	// never leaves the node.
	Bridge Datapath = "bridge"
	// Routed carries pod packets between nodes as they are (Calico BGP,
	// flannel host-gw, Cilium native routing).
	Routed Datapath = "routed"
	// VXLAN wraps each pod packet in outer IP + UDP + VXLAN + its Ethernet header.
	VXLAN Datapath = "vxlan"
	// Geneve wraps like VXLAN; its 8-byte base header may carry options.
	Geneve Datapath = "geneve"
	// IPIP wraps each pod packet in one outer IP header.
	IPIP Datapath = "ipip"
	// WireGuard encrypts each pod packet into outer IP + UDP + WireGuard.
	WireGuard Datapath = "wireguard"
	// Unknown is a datapath a backend could not detect.
	Unknown Datapath = "unknown"
)

// Datapaths lists every name ParseDatapath knows, in documentation order.
var Datapaths = []Datapath{Host, Bridge, Routed, VXLAN, Geneve, IPIP, WireGuard, Unknown}

// Family is an IP address family: the underlay's for a header tax, the
// test's for the headers inside every packet.
type Family int

const (
	IPv4 Family = 4
	IPv6 Family = 6
)

// FamilyOf is a's family (an IPv4-mapped IPv6 address is IPv4).
func FamilyOf(a netip.Addr) Family {
	if a.Unmap().Is4() {
		return IPv4
	}
	return IPv6
}

// IPHeaderBytes is the fixed IP header of the family: 20 for IPv4 (no
// options), 40 for IPv6 (no extension headers).
func (f Family) IPHeaderBytes() int {
	if f == IPv6 {
		return 40
	}
	return 20
}

// Sizes of the encapsulation headers besides the outer IP header.
const (
	udpHeader       = 8
	vxlanHeader     = 8  // also Geneve's base header without options
	innerEthernet   = 14 // VXLAN and Geneve carry the pod's Ethernet frame
	wireGuardHeader = 16 // type, receiver index, counter
	wireGuardTag    = 16 // Poly1305 authentication tag
)

// HeaderTax is the bytes of encapsulation the datapath adds to each packet
// crossing nodes over an underlay of family f: a pod MTU of the underlay MTU
// minus this fits without fragmenting.
//
//	VXLAN, Geneve: outer IP (20 | 40) + UDP 8 + header 8 + inner Ethernet 14 = 50 | 70
//	IPIP:          outer IP (20 | 40)                                          = 20 | 40
//	WireGuard:     outer IP (20 | 40) + UDP 8 + header 16 + tag 16             = 60 | 80
//
// Geneve options add their length (a multiple of 4) on top; a backend that
// knows them adds it. Datapaths that do not encapsulate, and Unknown, have
// none.
func (d Datapath) HeaderTax(f Family) int {
	ip := f.IPHeaderBytes()
	switch d {
	case VXLAN, Geneve:
		return ip + udpHeader + vxlanHeader + innerEthernet
	case IPIP:
		return ip
	case WireGuard:
		return ip + udpHeader + wireGuardHeader + wireGuardTag
	}
	return 0
}

// Encapsulates reports whether the datapath wraps pod packets between nodes.
func (d Datapath) Encapsulates() bool { return d.HeaderTax(IPv4) > 0 }

// Known reports whether d is a detected datapath: not empty, not Unknown.
func (d Datapath) Known() bool { return d != "" && d != Unknown }

// String is the datapath's name.
func (d Datapath) String() string { return string(d) }

// ParseDatapath reads a datapath's name (any case, surrounding space
// ignored); an unknown name is an error that lists the known ones.
func ParseDatapath(name string) (Datapath, error) {
	d := Datapath(strings.ToLower(strings.TrimSpace(name)))
	for _, k := range Datapaths {
		if d == k {
			return d, nil
		}
	}
	return "", fmt.Errorf("datapath %q: use one of %s", name, JoinDatapaths(Datapaths))
}

// JoinDatapaths is "routed, vxlan, ipip" for error messages.
func JoinDatapaths(ds []Datapath) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = string(d)
	}
	return strings.Join(s, ", ")
}
