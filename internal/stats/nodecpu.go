package stats

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// NodeCPUFigures are one node's CPU over one test, as the statistics read
// them: the share of its CPUs that was busy, and busy and softirq
// CPU-seconds per gigabit its side moved (Moved false: no bit moved, no
// per-Gbit figure).
type NodeCPUFigures struct {
	Busy                    float64
	PerGbit, SoftIRQPerGbit float64
	Moved                   bool
}

// NodeCPU is a group's node CPU: each side's node (the sender's and the
// receiver's) over its successful samples.
type NodeCPU struct {
	Sender   *NodeSideCPU `json:"sender,omitempty"`
	Receiver *NodeSideCPU `json:"receiver,omitempty"`
	// Failed counts the successful tests whose node CPU could not be read
	// (their reason is in the group's warnings); they give no figure here.
	Failed int `json:"failed,omitempty"`
	// Bound says a side's node was busier than Config.MaxCPU percent of
	// its CPUs (median over the tests), whatever the test process used.
	Bound bool `json:"bound,omitempty"`
}

// NodeSideCPU is one side's node CPU.
type NodeSideCPU struct {
	N              int       `json:"n"`
	Busy           float64   `json:"busy"`                       // median share of the node's CPUs busy, 0..1
	PerGbit        *Estimate `json:"per_gbit,omitempty"`         // busy CPU-seconds per Gbit
	SoftIRQPerGbit *Estimate `json:"softirq_per_gbit,omitempty"` // softirq CPU-seconds per Gbit
	// Tax and SoftIRQTax are what this group's CPU per Gbit costs beyond
	// its baseline's on the same side: the pod network's CPU tax.
	Tax        *CPUTax `json:"tax,omitempty"`
	SoftIRQTax *CPUTax `json:"softirq_tax,omitempty"`
}

// PerGbitMedian is the side's median CPU-seconds per Gbit; nil when the
// side or its figure is missing.
func (s *NodeSideCPU) PerGbitMedian() *float64 {
	if s == nil || s.PerGbit == nil {
		return nil
	}
	m := s.PerGbit.Median
	return &m
}

// CPUTax is a CPU per Gbit against the baseline's: Ratio 0.41 is 41% more
// CPU-seconds per Gbit. Like the goodput's overhead it pairs each test
// with the baseline's of its round when at least Config.MinSamples rounds
// have both (the mean log ratio and its Student t interval), else the
// Hodges–Lehmann shift of the logs and its Moses interval.
type CPUTax struct {
	Ratio          float64   `json:"ratio"`
	CI             *Interval `json:"ci,omitempty"`
	Method         string    `json:"method"`
	Rounds         int       `json:"rounds,omitempty"`
	BaselineMedian float64   `json:"baseline_median"` // the baseline's CPU-seconds per Gbit
}

// Rose reports whether the CPU per Gbit rose beyond doubt: the interval
// lies above 0.
func (t *CPUTax) Rose() bool { return t != nil && t.CI != nil && t.CI.Low > 0 }

// side picks one side's figures of a sample.
type side struct {
	name string
	of   func(Sample) *NodeCPUFigures
}

var sides = []side{
	{"sender", func(s Sample) *NodeCPUFigures { return s.SenderNode }},
	{"receiver", func(s Sample) *NodeCPUFigures { return s.ReceiverNode }},
}

// nodeCPU summarises the node CPU of xs against base (nil: no tax); nil
// when no sample carries any.
func (c Config) nodeCPU(key Key, xs, base []Sample) (*NodeCPU, string) {
	out := &NodeCPU{}
	var failure string
	for _, s := range xs {
		if s.NodeCPUFailed != "" {
			out.Failed++
			if failure == "" {
				failure = s.NodeCPUFailed
			}
		}
	}
	for _, sd := range sides {
		ns := c.nodeSide(key, sd, xs, base)
		if sd.name == "sender" {
			out.Sender = ns
		} else {
			out.Receiver = ns
		}
		if ns != nil && ns.Busy*100 > c.MaxCPU {
			out.Bound = true
		}
	}
	if out.Sender == nil && out.Receiver == nil && out.Failed == 0 {
		return nil, ""
	}
	return out, failure
}

// nodeSide is one side's figures; nil when no sample has them.
func (c Config) nodeSide(key Key, sd side, xs, base []Sample) *NodeSideCPU {
	var busy []float64
	for _, s := range xs {
		if f := sd.of(s); f != nil {
			busy = append(busy, f.Busy)
		}
	}
	if len(busy) == 0 {
		return nil
	}
	perGbit := sd.figure(func(f *NodeCPUFigures) float64 { return f.PerGbit })
	softirq := sd.figure(func(f *NodeCPUFigures) float64 { return f.SoftIRQPerGbit })
	ns := &NodeSideCPU{N: len(busy), Busy: median(busy),
		PerGbit: c.Estimate(key, values(xs, perGbit)), SoftIRQPerGbit: c.Estimate(key, values(xs, softirq))}
	if base != nil {
		ns.Tax = c.cpuTax(xs, base, perGbit)
		ns.SoftIRQTax = c.cpuTax(xs, base, softirq)
	}
	return ns
}

// figure is the per-Gbit figure get reads of this side's node, for the
// samples whose test moved bits.
func (sd side) figure(get func(*NodeCPUFigures) float64) func(Sample) (float64, bool) {
	return func(s Sample) (float64, bool) {
		if f := sd.of(s); f != nil && f.Moved {
			return get(f), true
		}
		return 0, false
	}
}

// values are the figures value gives for xs, leaving out the samples for
// which it gives none.
func values(xs []Sample, value func(Sample) (float64, bool)) []float64 {
	var out []float64
	for _, s := range xs {
		if v, ok := value(s); ok {
			out = append(out, v)
		}
	}
	return out
}

// cpuTax compares the figure value gives with the baseline's, paired by
// round where it can be; nil when either has no positive figure.
func (c Config) cpuTax(xs, base []Sample, value func(Sample) (float64, bool)) *CPUTax {
	x, b := values(xs, value), values(base, value)
	lx, lb := logs(x), logs(b)
	if lx == nil || lb == nil || len(lx) == 0 || len(lb) == 0 {
		return nil
	}
	t := &CPUTax{BaselineMedian: median(b)}
	grow := func(iv *Interval) *Interval {
		if iv == nil {
			return nil
		}
		return &Interval{Low: math.Expm1(iv.Low), High: math.Expm1(iv.High), Level: iv.Level}
	}
	if d, ok, _ := roundRatiosOf(xs, base, value); ok && len(d) >= c.MinSamples {
		sh, _ := pairedShift(d, c.Confidence)
		t.Ratio, t.CI, t.Method, t.Rounds = math.Expm1(sh.Estimate), grow(sh.CI), MethodPairedLogRatio, len(d)
		return t
	}
	sh := HodgesLehmann(lx, lb, c.Confidence)
	t.Ratio, t.CI, t.Method = math.Expm1(sh.Estimate), grow(sh.CI), MethodHodgesLehmann
	return t
}

// nodeCPUWarnings are s's warnings with what the node CPU says about the
// group: a node busier than MaxCPU (the CPU-bound warning, whatever the
// test process used; one warning per row, joined to the process's when
// both were), a datapath whose goodput cost is far above its floor while
// its CPU per Gbit rose, and readings that failed.
func (c Config) nodeCPUWarnings(s Summary, failure string) []Warning {
	ws := s.Warnings
	n := s.NodeCPU
	if n == nil {
		return ws
	}
	if n.Bound {
		name, ns := "sender", n.Sender
		if n.Receiver != nil && (ns == nil || n.Receiver.Busy > ns.Busy) {
			name, ns = "receiver", n.Receiver
		}
		msg := fmt.Sprintf("the %s's node was %.0f%% busy during the test (> %.0f%%)", name, ns.Busy*100, c.MaxCPU)
		if i := slices.IndexFunc(ws, func(w Warning) bool { return w.Code == WarnCPUBound }); i >= 0 {
			ws[i].Message = strings.Replace(ws[i].Message, ": the figure says", " and "+msg+": the figure says", 1)
		} else {
			ws = append(ws, Warning{Code: WarnCPUBound, Message: "CPU-bound node: " + msg + ": the figure says more about the CPU than the network"})
		}
	}
	if a := s.AboveFloor; a != nil && a.CI != nil && a.CI.Low > 0 && a.Ratio >= FarAboveFloor {
		if msg := taxNote(n); msg != "" {
			ws = append(ws, Warning{Code: WarnCPUDatapath, Message: msg})
		}
	}
	if n.Failed > 0 {
		ws = append(ws, Warning{Code: WarnNodeCPUFailed, Message: fmt.Sprintf(
			"in %d of %d tests the node CPU could not be read, no CPU per Gbit from them: %s", n.Failed, s.N, failure)})
	}
	return ws
}

// FarAboveFloor is how far above its floor (a share of the baseline's
// goodput) a path's overhead must be, beyond doubt, before its notes blame
// the CPU for it.
const FarAboveFloor = 0.05

// taxNote names the largest CPU per Gbit rise beyond doubt of either
// side, softirq or all busy time: "CPU-bound datapath: +41% softirq per
// Gbit on the receiver"; "" when none rose.
func taxNote(n *NodeCPU) string {
	best, msg := 0.0, ""
	for _, sd := range []struct {
		name string
		ns   *NodeSideCPU
	}{{"sender", n.Sender}, {"receiver", n.Receiver}} {
		if sd.ns == nil {
			continue
		}
		for _, t := range []struct {
			what string
			tax  *CPUTax
		}{{"CPU", sd.ns.Tax}, {"softirq", sd.ns.SoftIRQTax}} {
			if t.tax.Rose() && t.tax.Ratio > best {
				best = t.tax.Ratio
				msg = fmt.Sprintf("CPU-bound datapath: %+.0f%% %s per Gbit on the %s", t.tax.Ratio*100, t.what, sd.name)
			}
		}
	}
	return msg
}
