package runrecord

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cnibench/cnibench/internal/stats"
)

// A sweep is a numeric knob the run measured at more than one value: the
// stream count, or a variant label's knob (msg-size, mss, mtu, pod-mtu,
// policy-rules, link-rate). Each scenario gets a curve along it, every
// other setting fixed.

// DefaultKneeDrop is the fall of the median goodput, from one value to the
// next or from the first value, that makes a knee.
const DefaultKneeDrop = 0.20

// StreamsKnob names the stream count as a sweep's knob.
const StreamsKnob = "streams"

// Sweep is one scenario's curve along one knob.
type Sweep struct {
	Knob     string         `json:"knob"`            // "msg-size", "streams", "policy-rules", …
	Fixed    string         `json:"fixed,omitempty"` // the other settings: "datapath=routed,streams=1"
	Scenario string         `json:"scenario"`
	Protocol stats.Protocol `json:"protocol"`
	Points   []SweepPoint   `json:"points"` // by value, ascending
	// Knee is the first value past which goodput falls by KneeDrop or
	// more, significantly; nil when it never does.
	Knee     *Knee   `json:"knee,omitempty"`
	KneeDrop float64 `json:"knee_drop"` // the threshold looked for
}

// SweepPoint is the scenario's summary at one value of the knob.
type SweepPoint struct {
	Value       float64         `json:"value"`   // the knob's value: bytes, streams, rules, bit/s
	Label       string          `json:"label"`   // as the flag spells it: "64K", "1gbit"
	Key         stats.Key       `json:"key"`     // the summary's group
	Status      string          `json:"status"`  // the summary's
	N           int             `json:"n"`       // successful samples
	Goodput     *float64        `json:"goodput"` // median bits/s; nil when no sample succeeded
	CI          *stats.Interval `json:"goodput_ci,omitempty"`
	Overhead    *float64        `json:"overhead,omitempty"` // against the baseline of the same value
	OverheadCI  *stats.Interval `json:"overhead_ci,omitempty"`
	Significant bool            `json:"significant,omitempty"`
	RTTUs       *float64        `json:"rtt_us,omitempty"`       // median idle connect RTT
	RTTDeltaUs  *float64        `json:"rtt_delta_us,omitempty"` // what the path adds to its baseline's
	// SenderCPUPerGbit and ReceiverCPUPerGbit are each side's node
	// CPU-seconds per Gbit at this value (medians), when the run read node CPU.
	SenderCPUPerGbit   *float64 `json:"sender_cpu_s_per_gbit,omitempty"`
	ReceiverCPUPerGbit *float64 `json:"receiver_cpu_s_per_gbit,omitempty"`
}

// Knee says where a curve breaks: From is the last value before the fall.
type Knee struct {
	From      float64 `json:"from"`
	FromLabel string  `json:"from_label"`
	To        float64 `json:"to"`
	ToLabel   string  `json:"to_label"`
	Drop      float64 `json:"drop"`      // 1 − goodput at To / the reference's
	Reference string  `json:"reference"` // "previous" or "first": the value it fell from
	Note      string  `json:"note"`      // "goodput falls 23% past 1000 policy-rules"
}

// coordinate is one knob's value in a group's key.
type coordinate struct {
	knob, label string
	value       float64
	numeric     bool
}

// coordinates are a key's knobs: its variant label's, then its streams.
func coordinates(k stats.Key) []coordinate {
	var cs []coordinate
	if k.Variant != "" {
		for _, part := range strings.Split(k.Variant, ",") {
			knob, label, _ := strings.Cut(part, "=")
			v, ok := knobValue(label)
			cs = append(cs, coordinate{knob, label, v, ok})
		}
	}
	return append(cs, coordinate{StreamsKnob, strconv.Itoa(k.Streams), float64(k.Streams), true})
}

// knobValue reads a label's value as a number: 1500, 64K and 1M (sizes,
// powers of 1024), 500mbit and 1gbit (rates, decimal); false when it is
// not one (a datapath, "unshaped").
func knobValue(s string) (float64, bool) {
	mult := 1.0
	if r, ok := strings.CutSuffix(strings.ToLower(s), "bit"); ok {
		s = r
		if n := len(s); n > 0 {
			if m, ok := map[byte]float64{'k': 1e3, 'm': 1e6, 'g': 1e9, 't': 1e12}[s[n-1]]; ok {
				mult, s = m, s[:n-1]
			}
		}
	} else if n := len(s); n > 0 {
		if m, ok := map[byte]float64{'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}[s[n-1]]; ok {
			mult, s = m, s[:n-1]
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return 0, false
	}
	return v * mult, true
}

// ComputeSweeps sets r.Sweeps from the summaries: one curve per scenario,
// protocol and setting of the other knobs, for every numeric knob with
// more than one value. kneeDrop 0 = DefaultKneeDrop.
func (r *Run) ComputeSweeps(kneeDrop float64) {
	if kneeDrop <= 0 {
		kneeDrop = DefaultKneeDrop
	}
	values := map[string]map[float64]bool{}
	var order []string
	for _, s := range r.Summaries {
		for _, c := range coordinates(s.Key) {
			if !c.numeric {
				continue
			}
			if values[c.knob] == nil {
				values[c.knob] = map[float64]bool{}
				order = append(order, c.knob)
			}
			values[c.knob][c.value] = true
		}
	}
	r.Sweeps = nil
	for _, knob := range order {
		if len(values[knob]) < 2 {
			continue
		}
		r.Sweeps = append(r.Sweeps, r.curves(knob, kneeDrop)...)
	}
}

// curves are the curves along knob, in the summaries' order of first appearance.
func (r *Run) curves(knob string, kneeDrop float64) []Sweep {
	var out []Sweep
	index := map[string]int{}
	for _, s := range r.Summaries {
		var fixed []string
		var at *coordinate
		for _, c := range coordinates(s.Key) {
			if c.knob == knob {
				at = &c
				continue
			}
			fixed = append(fixed, c.knob+"="+c.label)
		}
		if at == nil || !at.numeric {
			continue
		}
		id := fmt.Sprintf("%s|%s|%s", s.Scenario, s.Protocol, strings.Join(fixed, ","))
		i, ok := index[id]
		if !ok {
			i = len(out)
			index[id] = i
			out = append(out, Sweep{Knob: knob, Fixed: strings.Join(fixed, ","), Scenario: s.Scenario, Protocol: s.Protocol, KneeDrop: kneeDrop})
		}
		out[i].Points = append(out[i].Points, r.point(s, *at))
	}
	var kept []Sweep
	for _, sw := range out {
		if len(sw.Points) < 2 {
			continue
		}
		slices.SortStableFunc(sw.Points, func(a, b SweepPoint) int { return cmp.Compare(a.Value, b.Value) })
		sw.Knee = sw.knee()
		kept = append(kept, sw)
	}
	return kept
}

func (r *Run) point(s stats.Summary, at coordinate) SweepPoint {
	p := SweepPoint{Value: at.value, Label: at.label, Key: s.Key, Status: string(s.Status), N: s.N}
	if g := s.Goodput; g != nil && s.N > 0 {
		p.Goodput, p.CI = &g.Median, g.MedianCI
	}
	if o := s.Overhead; o != nil && !s.Baseline {
		p.Overhead, p.OverheadCI, p.Significant = &o.Ratio, o.CI, o.Significant
	}
	if s.ConnectRTT != nil {
		p.RTTUs = &s.ConnectRTT.Median
	}
	if d := s.RTTDelta; d != nil {
		p.RTTDeltaUs = &d.DeltaUs
	}
	if c := s.NodeCPU; c != nil {
		p.SenderCPUPerGbit, p.ReceiverCPUPerGbit = c.Sender.PerGbitMedian(), c.Receiver.PerGbitMedian()
	}
	return p
}

// knee finds the first value whose median goodput lies KneeDrop or more
// below the previous value's, or else the first value's, with the two
// medians' 95% intervals apart (the point's interval wholly below the
// reference's): a fall the repeats can tell from noise.
func (sw Sweep) knee() *Knee {
	for i := 1; i < len(sw.Points); i++ {
		p := sw.Points[i]
		for _, ref := range []struct {
			name string
			at   SweepPoint
		}{{"previous", sw.Points[i-1]}, {"first", sw.Points[0]}} {
			if i == 1 && ref.name == "first" {
				continue // the same as previous
			}
			if p.Goodput == nil || ref.at.Goodput == nil || *ref.at.Goodput <= 0 || p.CI == nil || ref.at.CI == nil {
				continue
			}
			drop := 1 - *p.Goodput / *ref.at.Goodput
			if drop >= sw.KneeDrop && p.CI.High < ref.at.CI.Low {
				prev := sw.Points[i-1]
				return &Knee{From: prev.Value, FromLabel: prev.Label, To: p.Value, ToLabel: p.Label, Drop: drop, Reference: ref.name,
					Note: fmt.Sprintf("goodput falls %.0f%% past %s %s", 100*drop, prev.Label, sw.Knob)}
			}
		}
	}
	return nil
}
