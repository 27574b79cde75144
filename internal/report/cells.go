package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
	"github.com/cnibench/cnibench/internal/units"
)

// rateUnit picks the unit people read bps in.
func rateUnit(bps float64) (div float64, unit string) {
	switch a := math.Abs(bps); {
	case a >= 1e9:
		return 1e9, "Gbit/s"
	case a >= 1e6:
		return 1e6, "Mbit/s"
	case a >= 1e3:
		return 1e3, "kbit/s"
	}
	return 1, "bit/s"
}

// num formats v with 4 significant digits, without exponent.
func num(v float64) string { return units.FormatFigure(v) }

// rate formats bits/s like "9.406 Gbit/s".
func rate(bps float64) string {
	div, unit := rateUnit(bps)
	return num(bps/div) + " " + unit
}

// rateRange formats an interval of bits/s in the unit of ref, like "9.329–9.409".
func rateRange(ci *stats.Interval, ref float64) string {
	if ci == nil {
		return "n/a"
	}
	div, _ := rateUnit(ref)
	return num(ci.Low/div) + "–" + num(ci.High/div)
}

// pct formats a ratio as a percentage with two decimals, whatever its size,
// so an overhead, its interval and its floor read alike: "7.40%", "0.16%".
func pct(ratio float64) string { return pctNum(ratio) + "%" }

func pctNum(ratio float64) string {
	p := ratio * 100
	return noNegativeZero(strconv.FormatFloat(p, 'f', 2, 64))
}

// noNegativeZero turns "-0.00" (a tiny negative rounded away) into "0.00".
func noNegativeZero(s string) string {
	if strings.Trim(s, "-0.") == "" {
		return strings.TrimPrefix(s, "-")
	}
	return s
}

// signedPct formats a change: "+3.1%", "-4.5%".
func signedPct(ratio float64) string {
	s := pct(ratio)
	if ratio >= 0 && strings.Trim(s, "0.%") != "" { // no sign on a change that rounds to 0
		s = "+" + s
	}
	return s
}

// pctRange formats an interval of ratios: "5.6–7.1%" or "-0.43 – 0.76%".
func pctRange(ci *stats.Interval) string {
	if ci == nil {
		return "n/a"
	}
	sep := "–"
	if ci.Low < 0 || ci.High < 0 {
		sep = " – "
	}
	return pctNum(ci.Low) + sep + pctNum(ci.High) + "%"
}

// micros formats a latency in µs: "35 µs", "412 µs", "1.25 ms".
func micros(us float64) string {
	if math.Abs(us) >= 1000 {
		return strconv.FormatFloat(us/1000, 'f', 2, 64) + " ms"
	}
	return strconv.FormatFloat(us, 'f', 0, 64) + " µs"
}

// signedMicros is micros with its sign: "+12 µs", "-3 µs".
func signedMicros(us float64) string {
	if us >= 0 {
		return "+" + micros(us)
	}
	return micros(us)
}

// pvalue formats a p-value: "0.008", "<0.001".
func pvalue(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	return strconv.FormatFloat(p, 'f', 3, 64)
}

// sigMark follows a figure that differs significantly from the baseline
// (or, in a comparison, whose change's interval excludes 0). The figure is
// shown either way; the mark alone says whether it is significant, in every
// format and in run and compare alike.
const sigMark = "*"

// mark is v followed by sigMark when significant.
func mark(v string, significant bool) string {
	if significant {
		return v + sigMark
	}
	return v
}

// cells are one summary's figures as text, shared by every renderer.
type cells struct {
	Scenario, Protocol, Streams, N   string
	Path                             string
	Median, MedianCI                 string
	Overhead, OverheadCI, P, Floor   string
	Retr, Loss, Jitter, CPU, Notes   string
	RetrOrLoss                       string
	Sent                             string // UDP: the sender's achieved rate
	RTT, RTTDelta                    string // idle connect RTT and what it adds to the baseline's
	NodeCPU, CPUTax, NodeBusy        string // nodes' CPU per Gbit, its tax, their busy share (nodecpu.go)
	Verdict                          string
	Failed, Baseline, NotSignificant bool
}

const none = "-"

func summaryCells(s stats.Summary, baseline *stats.Summary) cells {
	c := cells{
		Scenario: s.Scenario, Protocol: string(s.Protocol), Streams: strconv.Itoa(s.Streams),
		N: strconv.Itoa(s.N), Median: "failed", MedianCI: none, Overhead: none, OverheadCI: none, P: none, Floor: none,
		Retr: none, Loss: none, Jitter: none, CPU: none, RetrOrLoss: none, Sent: none, RTT: none, RTTDelta: none,
		Failed: s.Status == stats.StatusFailed, Baseline: s.Baseline,
	}
	v := stats.Judge(s, baseline)
	c.Verdict = v.Text
	if s.Failed > 0 {
		c.N = fmt.Sprintf("%d/%d", s.N, s.N+s.Failed)
	}
	if g := s.Goodput; g != nil {
		c.Median, c.MedianCI = rate(g.Median), rateRange(g.MedianCI, g.Median)
	}
	switch o := s.Overhead; {
	case s.Baseline:
		c.Overhead = "baseline"
	case o != nil && v.Kind == stats.VerdictNotComparable:
		// a sender-limited UDP figure is the host's, not the path's
	case o != nil:
		c.Overhead = mark(pct(o.Ratio), o.Significant)
		c.NotSignificant = !o.Significant
		c.OverheadCI, c.P = pctRange(o.CI), pvalue(o.TestP())
		if o.FamilySize > 1 {
			c.P = pvalue(o.AdjustedP) // Holm-corrected: the p the mark is from
		}
	}
	if s.Floor != nil && !s.Baseline {
		c.Floor = pct(s.Floor.Ratio)
	}
	if e := s.ConnectRTT; e != nil {
		c.RTT = micros(e.Median)
		if s.Baseline {
			c.RTTDelta = "baseline"
		}
	}
	if d := s.RTTDelta; d != nil {
		c.RTTDelta = mark(signedMicros(d.DeltaUs), d.Significant)
	}
	if r := s.Retransmits; r != nil {
		c.Retr = strconv.FormatFloat(r.Median, 'f', -1, 64)
		c.RetrOrLoss = c.Retr
	}
	if s.LossPercent != nil {
		c.Loss = strconv.FormatFloat(*s.LossPercent, 'f', 3, 64) + "%"
		c.RetrOrLoss = c.Loss
	}
	if s.JitterMs != nil {
		c.Jitter = strconv.FormatFloat(*s.JitterMs, 'f', 3, 64) + " ms"
	}
	if e := s.Sent; e != nil {
		c.Sent = rate(e.Median)
	}
	if u := s.CPU; u != nil {
		c.CPU = fmt.Sprintf("%.0f/%.0f%%", u.Sender, u.Receiver)
	}
	c.NodeCPU, c.CPUTax, c.NodeBusy = nodeCPUCells(s)
	var notes []string
	for _, w := range s.Warnings {
		notes = append(notes, w.Code)
	}
	c.Notes = strings.Join(notes, ",")
	return c
}

// runCells are summaryCells with the path the summary's tests crossed.
func runCells(run *runrecord.Run, s stats.Summary) cells {
	c := summaryCells(s, baselineOf(run, s))
	c.Path = pathCell(run.Path(s.Variant, s.Scenario))
	return c
}

// pathCell is a path in a few characters: its datapath, "+50" when it is
// encapsulated with a 50-byte header, then the sender's MTU and the
// underlay's ("vxlan+50 1450/1500", "routed 1500/1500"); one MTU when
// the path stays inside a node or is the underlay itself ("bridge 1450",
// "host 1500"); "-" when the run recorded no path.
func pathCell(p *runrecord.Path) string {
	if p == nil || (p.Datapath == "" && p.MTU == 0 && p.UnderlayMTU == 0) {
		return none
	}
	s := p.Datapath
	if s == "" {
		s = "?"
	}
	if p.Encapsulated {
		s += "+" + orUnknown(p.HeaderTax)
	}
	switch {
	case p.UnderlayMTU > 0 && !(p.Datapath == "host" && p.MTU == p.UnderlayMTU):
		s += " " + orUnknown(p.MTU) + "/" + strconv.Itoa(p.UnderlayMTU)
	case p.MTU > 0:
		s += " " + strconv.Itoa(p.MTU)
	}
	return s
}

// orUnknown is n, or "?" when it is 0.
func orUnknown(n int) string {
	if n == 0 {
		return "?"
	}
	return strconv.Itoa(n)
}

// baselineOf is the summary s was compared with: the baseline scenario its
// summary names (node-node in records older than the same-node baseline)
// of its variant, protocol and streams; nil when the run has none.
func baselineOf(run *runrecord.Run, s stats.Summary) *stats.Summary {
	return run.Summary(run.BaselineKey(s.Key))
}

// variantSections splits the summaries by variant, in run order.
func variantSections(run *runrecord.Run) []section {
	var secs []section
	for _, s := range run.Summaries {
		if len(secs) == 0 || secs[len(secs)-1].Variant != s.Variant {
			secs = append(secs, section{Variant: s.Variant})
		}
		last := &secs[len(secs)-1]
		last.Summaries = append(last.Summaries, s)
	}
	return secs
}

type section struct {
	Variant   string
	Summaries []stats.Summary
}

// label names a summary's group without its variant: "pod-node tcp ×1".
func label(k stats.Key) string {
	k.Variant = ""
	return k.String()
}

// runFacts are the lines that say what a run was.
func runFacts(run *runrecord.Run) (title string, facts []string) {
	title = "cnibench run"
	if run.ID != "" {
		title += " " + run.ID
	}
	c := run.Cluster
	where := c.Kind
	if c.Name != "" {
		where += " " + c.Name
	}
	if len(c.Nodes) > 0 {
		where += " (" + strings.Join(c.Nodes, ", ") + ")"
	}
	facts = append(facts, where)
	if c.Kernel != "" {
		facts = append(facts, "kernel "+c.Kernel)
	}
	if c.CPUs > 0 {
		facts = append(facts, fmt.Sprintf("%d CPUs", c.CPUs))
	}
	v := run.CnibenchVersion
	facts = append(facts, fmt.Sprintf("cnibench %s (%s)", v.Version, shortCommit(v.Commit)))
	facts = append(facts, run.Start.UTC().Format("2006-01-02 15:04:05 UTC"))
	if !run.End.IsZero() {
		facts = append(facts, run.End.Sub(run.Start).Round(1e9).String())
	}
	tests := fmt.Sprintf("%d tests", len(run.Samples)+len(run.LatencySamples))
	if f := run.FailedSamples() + run.FailedLatencySamples(); f > 0 {
		tests += fmt.Sprintf(" (%d failed)", f)
	}
	facts = append(facts, tests)
	if run.Complete {
		facts = append(facts, "complete")
	} else {
		facts = append(facts, "INCOMPLETE: interrupted, partial results")
	}
	return title, facts
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// clusterWarningsTitle heads the cluster's warnings (an MTU mismatch, …),
// which every human-readable format shows above the results they explain.
const clusterWarningsTitle = "Cluster warnings"
