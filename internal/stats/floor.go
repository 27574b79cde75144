package stats

import (
	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
)

// TCPHeaderBytes is what every TCP segment carries besides payload inside
// the MTU: IPv4 (20) + TCP (20) + the timestamps option (12), as Linux sends.
const TCPHeaderBytes = 52

// Floor is the physical floor of a path's overhead against the baseline: the
// share of goodput its encapsulation must cost because every packet carries
// HeaderTax more bytes of headers, whatever the implementation.
type Floor struct {
	Ratio       float64 `json:"ratio"` // 1 − (MTU − HeaderBytes)/(UnderlayMTU − HeaderBytes)
	Datapath    string  `json:"datapath"`
	HeaderTax   int     `json:"header_tax"`
	MTU         int     `json:"mtu"` // the pod-side MTU used: the path's, capped at UnderlayMTU − HeaderTax
	UnderlayMTU int     `json:"underlay_mtu"`
	HeaderBytes int     `json:"header_bytes"`
}

// HeaderTaxFloor returns the floor of a TCP path, or nil when it is unknown:
// for UDP (which runs at a set rate, so a datapath's cost shows as loss, not
// as less goodput) and when the path does not give the underlay MTU.
//
// A full-sized pod segment carries MTU − 52 bytes of payload inside one
// underlay packet of at most UnderlayMTU bytes, where the baseline carries
// UnderlayMTU − 52: when the underlay is the bottleneck (bytes or packets per
// second), pod goodput is at most (MTU − 52)/(UnderlayMTU − 52) of the
// baseline's. docs/statistics.md derives it.
func HeaderTaxFloor(p cluster.Path, proto engine.Protocol) *Floor {
	if proto != engine.TCP || p.UnderlayMTU <= TCPHeaderBytes {
		return nil
	}
	mtu := p.MTU
	if mtu <= 0 || mtu+p.HeaderTax > p.UnderlayMTU {
		mtu = p.UnderlayMTU - p.HeaderTax
	}
	if mtu <= TCPHeaderBytes {
		return nil
	}
	return &Floor{
		Ratio:       1 - float64(mtu-TCPHeaderBytes)/float64(p.UnderlayMTU-TCPHeaderBytes),
		Datapath:    p.Datapath,
		HeaderTax:   p.HeaderTax,
		MTU:         mtu,
		UnderlayMTU: p.UnderlayMTU,
		HeaderBytes: TCPHeaderBytes,
	}
}
