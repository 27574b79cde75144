package stats

// TCPHeaderBytes is what every TCP segment carries besides payload inside
// the MTU: IPv4 (20) + TCP (20) + the timestamps option (12), as Linux sends.
const TCPHeaderBytes = 52

// EthernetHeaderBytes is what every packet costs on the underlay besides
// its IP bytes, as a shaper (tbf, the lab's uplinks) counts it. A real wire
// also spends FCS, preamble and gap (24 more), which only raises the MTU
// floor: counting 14 keeps it a lower bound.
const EthernetHeaderBytes = 14

// Floor kinds: what makes a path's overhead unavoidable.
const (
	// FloorHeaderTax: the path is encapsulated; every packet carries
	// HeaderTax more bytes of headers.
	FloorHeaderTax = "header-tax"
	// FloorMTU: the path is not encapsulated but its MTU is below the
	// underlay's, so each packet carries less payload for the same
	// per-packet costs.
	FloorMTU = "mtu"
	// FloorNone: nothing on the path is physically more expensive than
	// the baseline.
	FloorNone = "none"
)

// Floor is the physical floor of a path's overhead against the baseline: the
// share of goodput the path must cost, whatever the implementation, when the
// underlay is the bottleneck.
type Floor struct {
	// Ratio is, for kind header-tax, 1 − (MTU − HeaderBytes)/(UnderlayMTU −
	// HeaderBytes); for kind mtu, 1 − (MTU − HeaderBytes)/(UnderlayMTU −
	// HeaderBytes) · (UnderlayMTU + FrameBytes)/(MTU + FrameBytes); for
	// kind none, 0.
	Ratio       float64 `json:"ratio"`
	Kind        string  `json:"kind"` // FloorHeaderTax, FloorMTU or FloorNone
	Datapath    string  `json:"datapath"`
	HeaderTax   int     `json:"header_tax"` // bytes charged per packet: the path's for header-tax, else 0
	MTU         int     `json:"mtu"`        // the pod-side MTU used: the path's, capped at UnderlayMTU − HeaderTax
	UnderlayMTU int     `json:"underlay_mtu"`
	HeaderBytes int     `json:"header_bytes"`
	FrameBytes  int     `json:"frame_bytes,omitempty"` // kind mtu: EthernetHeaderBytes
}

// PathFloor returns the floor of a TCP path, or nil when it is unknown: for
// UDP (which runs at a set rate, so a datapath's cost shows as loss, not as
// less goodput) and when the path does not give the underlay MTU.
//
//   - Encapsulated: a full-sized pod segment carries MTU − 52 bytes of
//     payload inside one underlay packet of at most UnderlayMTU bytes, where
//     the baseline carries UnderlayMTU − 52: when the underlay is the
//     bottleneck (bytes or packets per second), pod goodput is at most
//     (MTU − 52)/(UnderlayMTU − 52) of the baseline's.
//   - Not encapsulated, MTU below the underlay's: the pod's packets cross
//     the underlay as they are, smaller than the baseline's. On a
//     byte-limited link goodput is payload per wire byte, (MTU − 52)/(MTU +
//     14) against (UnderlayMTU − 52)/(UnderlayMTU + 14).
//   - Otherwise: 0.
//
// docs/statistics.md derives both.
func PathFloor(p PathFacts, proto Protocol) *Floor {
	if proto != TCP || p.UnderlayMTU <= TCPHeaderBytes {
		return nil
	}
	u := p.UnderlayMTU
	if p.Encapsulated {
		mtu := p.MTU
		if mtu <= 0 || mtu+p.HeaderTax > u {
			mtu = u - p.HeaderTax
		}
		if mtu <= TCPHeaderBytes {
			return nil
		}
		return &Floor{
			Ratio:       1 - float64(mtu-TCPHeaderBytes)/float64(u-TCPHeaderBytes),
			Kind:        FloorHeaderTax,
			Datapath:    p.Datapath,
			HeaderTax:   p.HeaderTax,
			MTU:         mtu,
			UnderlayMTU: u,
			HeaderBytes: TCPHeaderBytes,
		}
	}
	mtu := p.MTU
	if mtu <= 0 || mtu > u {
		mtu = u // unknown, or too big to cross the underlay whole
	}
	if mtu <= TCPHeaderBytes {
		return nil
	}
	f := &Floor{Kind: FloorNone, Datapath: p.Datapath, MTU: mtu, UnderlayMTU: u, HeaderBytes: TCPHeaderBytes}
	if mtu < u {
		perByte := func(m int) float64 {
			return float64(m-TCPHeaderBytes) / float64(m+EthernetHeaderBytes)
		}
		f.Kind, f.FrameBytes = FloorMTU, EthernetHeaderBytes
		f.Ratio = 1 - perByte(mtu)/perByte(u)
	}
	return f
}
