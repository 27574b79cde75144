package stats

// Header sizes the floors count (docs/statistics.md derives them).
const (
	// TCPHeaderBytes is what every TCP segment carries besides payload inside
	// the MTU on IPv4 with timestamps, as Linux sends by default: IPv4 (20) +
	// TCP (20) + the timestamps option (12). IPv6 adds 20 (72), timestamps
	// off take 12 away (40 on IPv4).
	TCPHeaderBytes = 52
	// EthernetHeaderBytes is what every packet costs on the underlay besides
	// its IP bytes, as a shaper (tbf, the lab's uplinks) counts it. A real
	// wire also spends FCS, preamble and gap (24 more).
	EthernetHeaderBytes = 14

	tcpBaseHeader   = 20
	tcpTimestamps   = 12
	udpHeader       = 8
	ipv6FragmentHdr = 8 // IPv6 carries fragmentation in an extension header
)

// Floor kinds: what makes a path's overhead unavoidable.
const (
	// FloorHeaderTax: the path is encapsulated; every packet carries
	// HeaderTax more bytes of headers.
	FloorHeaderTax = "header-tax"
	// FloorMTU: the path is not encapsulated but its MTU is below the
	// underlay's, so each packet carries less payload for the same
	// per-packet costs (TCP), or a datagram needs more fragments (UDP).
	FloorMTU = "mtu"
	// FloorNone: nothing on the path is physically more expensive than
	// the baseline.
	FloorNone = "none"
)

// Floor is the physical floor of a path's overhead against the baseline: the
// share of goodput the path must cost, whatever the implementation, when the
// underlay is the bottleneck.
type Floor struct {
	// Ratio: TCP, kind header-tax, 1 − (MTU − H)/(UnderlayMTU − H); TCP, kind
	// mtu, 1 − (MTU − H)/(UnderlayMTU − H) · (UnderlayMTU + E)/(MTU + E);
	// UDP, 1 − the baseline's wire bytes per datagram / the path's; kind
	// none, 0 (H = HeaderBytes, E = FrameBytes).
	Ratio       float64 `json:"ratio"`
	Kind        string  `json:"kind"` // FloorHeaderTax, FloorMTU or FloorNone
	Datapath    string  `json:"datapath"`
	HeaderTax   int     `json:"header_tax"` // bytes charged per packet: the path's for header-tax, else 0
	MTU         int     `json:"mtu"`        // the pod-side MTU used: the path's, capped at UnderlayMTU − HeaderTax
	UnderlayMTU int     `json:"underlay_mtu"`
	HeaderBytes int     `json:"header_bytes"`          // per packet inside the MTU: IP + TCP (+ timestamps), or IP + UDP
	FrameBytes  int     `json:"frame_bytes,omitempty"` // kind mtu and UDP: EthernetHeaderBytes
	Datagram    int     `json:"datagram,omitempty"`    // UDP: payload bytes per datagram
	Fragments   int     `json:"fragments,omitempty"`   // UDP: IP packets per datagram on the path (1 = not fragmented)
}

// PathFloor returns the floor of a group's path, or nil when it is unknown:
// when the path does not give the underlay MTU, or, for UDP, the datagram
// size.
//
//   - TCP, encapsulated: a full-sized pod segment carries MTU − H bytes of
//     payload inside one underlay packet of at most UnderlayMTU bytes, where
//     the baseline carries UnderlayMTU − H: when the underlay is the
//     bottleneck (bytes or packets per second), pod goodput is at most
//     (MTU − H)/(UnderlayMTU − H) of the baseline's.
//   - TCP, not encapsulated, MTU below the underlay's: the pod's packets
//     cross the underlay as they are, smaller than the baseline's. On a
//     byte-limited link goodput is payload per wire byte, (MTU − H)/(MTU +
//     E) against (UnderlayMTU − H)/(UnderlayMTU + E).
//   - UDP: goodput on a byte-limited link is the datagram's payload over the
//     bytes it costs on the wire: its UDP and IP headers, the header tax
//     when encapsulated, E per packet, and when it exceeds the MTU an IP
//     header (and E) per fragment. The floor is 1 − the baseline's cost over
//     the path's.
//   - A path inside one node (no underlay, not encapsulated): 0, against
//     its own node-local baseline (localFloor).
//   - Otherwise: 0.
//
// H is the test's headers: IP (20, or 40 for an IPv6 target) + TCP 20 + the
// timestamps option 12 unless p says it was off. docs/statistics.md derives
// each case.
func PathFloor(p PathFacts, proto Protocol) *Floor {
	if f := localFloor(p, proto); f != nil {
		return f
	}
	if proto == UDP {
		return udpFloor(p)
	}
	h := p.ipHeader() + tcpBaseHeader
	if !p.TCPTimestampsOff {
		h += tcpTimestamps
	}
	u := p.UnderlayMTU
	if proto != TCP || u <= h {
		return nil
	}
	mtu, ok := p.podMTU()
	if !ok || mtu <= h {
		return nil
	}
	f := &Floor{Kind: FloorNone, Datapath: p.Datapath, MTU: mtu, UnderlayMTU: u, HeaderBytes: h}
	switch {
	case p.Encapsulated:
		f.Kind, f.HeaderTax = FloorHeaderTax, p.HeaderTax
		f.Ratio = 1 - float64(mtu-h)/float64(u-h)
	case mtu < u:
		perByte := func(m int) float64 {
			return float64(m-h) / float64(m+EthernetHeaderBytes)
		}
		f.Kind, f.FrameBytes = FloorMTU, EthernetHeaderBytes
		f.Ratio = 1 - perByte(mtu)/perByte(u)
	}
	return f
}

// udpFloor is PathFloor for a UDP group.
func udpFloor(p PathFacts) *Floor {
	ip := p.ipHeader()
	u := p.UnderlayMTU
	mtu, ok := p.podMTU()
	if p.Datagram <= 0 || !ok || u <= ip+udpHeader || mtu <= ip+udpHeader+ipv6FragmentHdr {
		return nil
	}
	tax := 0
	if p.Encapsulated {
		tax = p.HeaderTax
	}
	baseBytes, _ := p.datagramWire(u, 0)
	podBytes, frags := p.datagramWire(mtu, tax)
	f := &Floor{Kind: FloorNone, Datapath: p.Datapath, MTU: mtu, UnderlayMTU: u, HeaderBytes: ip + udpHeader,
		FrameBytes: EthernetHeaderBytes, Datagram: p.Datagram, Fragments: frags,
		Ratio: 1 - float64(baseBytes)/float64(podBytes)}
	switch {
	case p.Encapsulated:
		f.Kind, f.HeaderTax = FloorHeaderTax, tax
	case podBytes > baseBytes:
		f.Kind = FloorMTU
	default:
		f.Ratio = 0
	}
	return f
}

// datagramWire is what one datagram costs on the underlay when sent with
// an MTU of mtu and tax bytes of encapsulation per packet: its bytes (each
// packet with its IP header, tax and frame bytes) and its packets. A
// datagram larger than the MTU is split into fragments carrying a multiple
// of 8 bytes of the UDP datagram each, every one with its own IP header
// (IPv6's with a fragment header too).
func (p PathFacts) datagramWire(mtu, tax int) (bytes, packets int) {
	ip := p.ipHeader()
	udp := p.Datagram + udpHeader
	perPacket := ip + tax + EthernetHeaderBytes
	if udp+ip <= mtu {
		return udp + perPacket, 1
	}
	if ip == 40 {
		ip += ipv6FragmentHdr
		perPacket += ipv6FragmentHdr
	}
	chunk := (mtu - ip) / 8 * 8
	packets = (udp + chunk - 1) / chunk
	return udp + packets*perPacket, packets
}

// ipHeader is the test's IP header: 40 for IPv6, else 20.
func (p PathFacts) ipHeader() int {
	if p.IPVersion == 6 {
		return 40
	}
	return 20
}

// podMTU is the MTU the path's packets are sent with: the path's, capped
// so that a packet and its header tax fit the underlay, or that cap when
// the path does not say; false without an underlay.
func (p PathFacts) podMTU() (int, bool) {
	u := p.UnderlayMTU
	if u <= 0 {
		return 0, false
	}
	limit := u
	if p.Encapsulated {
		limit = u - p.HeaderTax
	}
	if p.MTU <= 0 || p.MTU > limit {
		return limit, true
	}
	return p.MTU, true
}
