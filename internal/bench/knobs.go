package bench

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
)

// Knobs are settings of every throughput test's spec that a sweep varies
// without building another cluster: each value is a variant of its own
// (labelled, with its own baseline), run on the cluster of the variant it
// was crossed with. Zero fields leave the plan's setting.
type Knobs struct {
	MsgSize int // bytes per write (TCP) or datagram (UDP)
	MSS     int // TCP_MAXSEG of the client's TCP sockets
	// Family is the address family every test of the variant connects
	// over: each endpoint's and Service's address of that family (0 = the
	// cluster's first, IPv4 on a dual-stack cluster). See SweepFamilies.
	Family cluster.Family
}

// MSS bounds: Linux refuses TCP_MAXSEG outside them.
const (
	MinMSS = 88
	MaxMSS = 32767
)

// SweepVariants crosses each variant with every message size and MSS
// (nil or one value: no sweep of that knob, the plan's own setting). The
// variants made from one cluster variant share its cluster: built once,
// closed after the last of them. Labels add each swept knob to the
// cluster variant's: "datapath=routed,msg-size=64K".
func SweepVariants(vs []Variant, msgSizes, mss []int) []Variant {
	if len(msgSizes) < 2 && len(mss) < 2 {
		return vs
	}
	var out []Variant
	for i, v := range vs {
		for _, m := range orZero(msgSizes) {
			for _, s := range orZero(mss) {
				nv := v
				nv.Knobs = Knobs{MsgSize: m, MSS: s}
				nv.Label = v.Label
				if len(msgSizes) > 1 {
					nv.Label = joinLabel(nv.Label, "msg-size="+SizeLabel(m))
				}
				if len(mss) > 1 {
					nv.Label = joinLabel(nv.Label, "mss="+strconv.Itoa(s))
				}
				if nv.Cluster == nil && v.Share == "" {
					nv.Share = fmt.Sprintf("cluster-%d", i)
				}
				out = append(out, nv)
			}
		}
	}
	return out
}

func orZero(vals []int) []int {
	if len(vals) < 2 {
		return []int{0}
	}
	return vals
}

func joinLabel(label, knob string) string {
	if label == "" {
		return knob
	}
	return label + "," + knob
}

// WithVariants sets the plan's variants, and their knobs, from vs.
func (p Plan) WithVariants(vs []Variant) Plan {
	p.Variants, p.Knobs = nil, nil
	for _, v := range vs {
		p.Variants = append(p.Variants, v.Label)
		if v.Knobs != (Knobs{}) {
			if p.Knobs == nil {
				p.Knobs = map[string]Knobs{}
			}
			p.Knobs[v.Label] = v.Knobs
		}
	}
	return p
}

// SizeLabel spells a size as --msg-size takes it: 64, 1500, 64K, 1M.
func SizeLabel(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "M"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "K"
	}
	return strconv.Itoa(n)
}

// spec applies the knobs to a throughput test's spec.
func (k Knobs) spec(sp engine.Spec) engine.Spec {
	if k.MsgSize > 0 {
		sp.Length = k.MsgSize
	}
	if k.MSS > 0 && sp.Protocol == engine.TCP {
		sp.MSS = k.MSS
	}
	return sp
}

// CheckKnobs explains what is wrong with k for the plan's protocols.
func (p Plan) CheckKnobs(k Knobs) error {
	p = p.WithDefaults()
	tcp, udp := slices.Contains(p.Protocols, engine.TCP), slices.Contains(p.Protocols, engine.UDP)
	return errors.Join(validateKnobs(k.MsgSize, k.MSS, tcp, udp)...)
}

// validateKnobs explains what is wrong with a message size or MSS for the
// plan's protocols.
func validateKnobs(msgSize, mss int, tcp, udp bool) []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if msgSize < 0 {
		bad("message size %d: use a positive number of bytes, or 0 for the engine's default", msgSize)
	} else if msgSize > 0 {
		if tcp && msgSize > engine.MaxTCPLength {
			bad("message size %d: TCP writes at most %d bytes", msgSize, engine.MaxTCPLength)
		}
		if udp && (msgSize < engine.MinUDPLength || msgSize > engine.MaxUDPLength) {
			bad("message size %d: UDP datagrams carry %d..%d bytes", msgSize, engine.MinUDPLength, engine.MaxUDPLength)
		}
	}
	if mss != 0 && (mss < MinMSS || mss > MaxMSS) {
		bad("MSS %d: Linux takes %d..%d bytes (TCP_MAXSEG), or 0 for the path's", mss, MinMSS, MaxMSS)
	}
	if mss != 0 && !tcp {
		bad("MSS %d: only TCP tests have one: add tcp to the protocols, or leave the MSS out", mss)
	}
	return errs
}
