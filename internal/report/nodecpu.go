package report

import (
	"slices"
	"strconv"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// nodeCPUCells are a summary's node CPU as text: CPU-seconds per Gbit of
// the sender's and the receiver's node, their tax against the baseline's
// (marked when it rose beyond doubt) and how busy the nodes were.
func nodeCPUCells(s stats.Summary) (perGbit, tax, busy string) {
	n := s.NodeCPU
	if n == nil || (n.Sender == nil && n.Receiver == nil) {
		if n != nil && n.Failed > 0 {
			return "failed", none, none
		}
		return none, none, none
	}
	pair := func(f func(*stats.NodeSideCPU) (string, bool)) string {
		a, okA := f(n.Sender)
		b, okB := f(n.Receiver)
		if !okA && !okB {
			return none
		}
		return a + "/" + b
	}
	perGbit = pair(func(ns *stats.NodeSideCPU) (string, bool) {
		if ns == nil || ns.PerGbit == nil {
			return "?", false
		}
		return cpuMillis(ns.PerGbit.Median), true
	})
	if perGbit != none {
		perGbit += "ms"
	}
	busy = pair(func(ns *stats.NodeSideCPU) (string, bool) {
		if ns == nil {
			return "?", false
		}
		return strconv.FormatFloat(ns.Busy*100, 'f', 0, 64), true
	})
	if busy != none {
		busy += "%"
	}
	if s.Baseline {
		return perGbit, "baseline", busy
	}
	rose := false
	tax = pair(func(ns *stats.NodeSideCPU) (string, bool) {
		if ns == nil || ns.Tax == nil {
			return "?", false
		}
		rose = rose || ns.Tax.Rose()
		return signedWhole(ns.Tax.Ratio), true
	})
	if tax != none {
		tax = mark(tax+"%", rose)
	}
	return perGbit, tax, busy
}

// cpuMillis is CPU-seconds as whole milliseconds, or with one decimal
// below 10: "89", "4.5".
func cpuMillis(s float64) string {
	if ms := s * 1000; ms < 10 {
		return strconv.FormatFloat(ms, 'f', 1, 64)
	}
	return strconv.FormatFloat(s*1000, 'f', 0, 64)
}

// signedWhole is a change in whole percent with its sign: "+41", "-3", "0".
func signedWhole(ratio float64) string {
	s := noNegativeZero(strconv.FormatFloat(ratio*100, 'f', 0, 64))
	if ratio > 0 && s != "0" {
		s = "+" + s
	}
	return s
}

// hasNodeCPU reports whether any of the summaries measured node CPU: the
// node CPU columns show only then, so reports of runs without it (and of
// records before it) keep their shape.
func hasNodeCPU(ss []stats.Summary) bool {
	return slices.ContainsFunc(ss, func(s stats.Summary) bool { return s.NodeCPU != nil })
}

// nodeCPULegend explains the node CPU columns, for runs that have them.
const nodeCPULegend = "; CPU/GBIT = CPU time the sender's/receiver's node spent per Gbit (the whole node's, /proc/stat); " +
	"CPU + = that against the baseline's, * = rose beyond its 95% CI"

// nodeCPUCSVColumns are the CSV's node CPU columns, added when the run has
// node CPU: per side, sample rows its node's figures, summary rows the
// medians and the tax.
var nodeCPUCSVColumns = func() []string {
	var cols []string
	for _, side := range []string{runrecord.SideSender, runrecord.SideReceiver} {
		p := "node_cpu_" + side + "_"
		cols = append(cols, p+"node", p+"busy", p+"user_s", p+"system_s", p+"softirq_s", p+"per_gbit_s", p+"softirq_per_gbit_s",
			p+"tax", p+"tax_ci_low", p+"tax_ci_high", p+"softirq_tax")
	}
	return append(cols, "node_cpu_bound", "node_cpu_error")
}()

// setSampleNodeCPU fills a sample row's node CPU columns.
func setSampleNodeCPU(set func(k, v string), c *runrecord.NodeCPU) {
	if c == nil {
		return
	}
	for _, n := range c.Nodes {
		p := "node_cpu_" + n.Side + "_"
		set(p+"node", n.Node)
		if n.Failed() {
			set("node_cpu_error", n.Node+": "+n.Error)
			continue
		}
		set(p+"busy", f64(n.Busy))
		set(p+"user_s", f64(n.User))
		set(p+"system_s", f64(n.System))
		set(p+"softirq_s", f64(n.SoftIRQ))
		setPtr(set, p+"per_gbit_s", n.PerGbit)
		setPtr(set, p+"softirq_per_gbit_s", n.SoftIRQPerGbit)
	}
}

// setSummaryNodeCPU fills a summary row's node CPU columns.
func setSummaryNodeCPU(set func(k, v string), n *stats.NodeCPU) {
	if n == nil {
		return
	}
	set("node_cpu_bound", strconv.FormatBool(n.Bound))
	for side, ns := range map[string]*stats.NodeSideCPU{runrecord.SideSender: n.Sender, runrecord.SideReceiver: n.Receiver} {
		if ns == nil {
			continue
		}
		p := "node_cpu_" + side + "_"
		set(p+"busy", f64(ns.Busy))
		if e := ns.PerGbit; e != nil {
			set(p+"per_gbit_s", f64(e.Median))
		}
		if e := ns.SoftIRQPerGbit; e != nil {
			set(p+"softirq_per_gbit_s", f64(e.Median))
		}
		if t := ns.Tax; t != nil {
			set(p+"tax", f64(t.Ratio))
			setInterval(set, p+"tax_ci_low", p+"tax_ci_high", t.CI)
		}
		if t := ns.SoftIRQTax; t != nil {
			set(p+"softirq_tax", f64(t.Ratio))
		}
	}
}
