package stats

import (
	"fmt"
	"slices"
)

// Status says whether a group has any figure at all.
type Status string

const (
	StatusOK     Status = "ok"     // at least one sample succeeded
	StatusFailed Status = "failed" // every sample failed: no figures, only errors
)

// Warning codes, stable for scripts.
const (
	WarnFailed         = "failed"          // every sample failed
	WarnFailedSamples  = "failed-samples"  // some samples failed and are excluded
	WarnFewSamples     = "few-samples"     // too few samples for an interval
	WarnNoisy          = "noisy"           // the spread hides effects of the size measured
	WarnCPUBound       = "cpu-bound"       // a side above Config.MaxCPU
	WarnNoBaseline     = "no-baseline"     // no baseline group to compare with
	WarnBaselineFailed = "baseline-failed" // the baseline group has no figures
	WarnRTTFailed      = "rtt-failed"      // samples whose connect-RTT probes all failed
	WarnUnpaired       = "unpaired"        // the overhead could not pair rounds: drift stays in its interval
	WarnSenderLimited  = "sender-limited"  // UDP samples whose sender could not reach the offered rate
	WarnCPUDatapath    = "cpu-datapath"    // overhead far above the floor while CPU per Gbit rose
	WarnNodeCPUFailed  = "node-cpu-failed" // tests whose node CPU could not be read
)

// Warning is something the reader must know before trusting a figure, with
// advice. Code is one of the Warn constants.
type Warning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Overhead is what a scenario costs against the baseline, as a share of the
// baseline's goodput: 0.06 means 6% slower, negative means faster. Estimate,
// interval and test are one family, so a mark and an interval never
// disagree. When the samples carry rounds (MethodPairedLogRatio), each is
// paired with the baseline of its round, which cancels the drift the two
// shared: the mean of the rounds' log ratios, its Student t interval and
// the paired t-test (PairedTest). Otherwise (MethodHodgesLehmann) the
// Hodges–Lehmann shift of log goodput, its Moses interval and the
// Mann-Whitney test, which the interval inverts.
type Overhead struct {
	Ratio          float64     `json:"ratio"`        // 1 − exp(the method's shift of log goodput)
	CI             *Interval   `json:"ci,omitempty"` // the method's interval; nil when none reaches the level
	Method         string      `json:"method,omitempty"`
	BaselineMedian float64     `json:"baseline_median"`
	BaselineN      int         `json:"baseline_n"`
	Test           MannWhitney `json:"test"` // this group's goodputs against the baseline's, unpaired
	// Rounds is how many rounds were paired and PairedTest their t-test,
	// the overhead's test when present (TestP); both absent when unpaired.
	Rounds     int      `json:"rounds,omitempty"`
	PairedTest *PairedT `json:"paired_test,omitempty"`
	// Unpaired says why the rounds were not paired, when they were not.
	Unpaired string `json:"unpaired,omitempty"`
	// AdjustedP is TestP after Holm's correction over the run's family of
	// tests (FamilySize of them); Significant is AdjustedP < Config.Alpha.
	AdjustedP   float64 `json:"adjusted_p,omitempty"`
	FamilySize  int     `json:"family_size,omitempty"`
	Significant bool    `json:"significant"`
	// Equivalence says whether the overhead is within ±margin (TOST);
	// MinDetectable is the smallest overhead the test would find with 80%
	// power at these sample sizes and spread (nil: none can be found).
	Equivalence   *Equivalence `json:"equivalence,omitempty"`
	MinDetectable *float64     `json:"min_detectable,omitempty"`
}

// MethodHodgesLehmann names the overhead's estimator in the record; records
// without a method were written with the ratio of medians and a bootstrap.
const MethodHodgesLehmann = "hodges-lehmann-log"

// Retransmits are TCP retransmissions of the sending side.
type Retransmits struct {
	Median float64 `json:"median"` // per test
	Total  int64   `json:"total"`  // over all successful samples
}

// CPUUse is the medians of each side's CPU use in percent of one core.
type CPUUse struct {
	Sender   float64 `json:"sender"`
	Receiver float64 `json:"receiver"`
	Bound    bool    `json:"bound"` // either side above Config.MaxCPU
}

// Summary is what one scenario group measured, in figures that come from
// its successful samples only; a figure the data cannot support is absent.
type Summary struct {
	Key
	Baseline    bool         `json:"baseline,omitempty"` // this group is a baseline of its variant
	Status      Status       `json:"status"`
	N           int          `json:"n"`      // successful samples
	Failed      int          `json:"failed"` // failed samples, excluded from every figure
	Errors      []string     `json:"errors,omitempty"`
	Goodput     *Estimate    `json:"goodput,omitempty"` // receiver's bits/s
	Retransmits *Retransmits `json:"retransmits,omitempty"`
	LossPercent *float64     `json:"loss_percent,omitempty"` // UDP: median lost datagrams, %
	JitterMs    *float64     `json:"jitter_ms,omitempty"`    // UDP: median jitter
	// UDP with intervals: loss (%), jitter (ms) and the share of the offered
	// rate delivered, each per sample; LossDelta and JitterDelta what the
	// group adds to its baseline's, tested.
	Loss        *Estimate   `json:"loss,omitempty"`
	Jitter      *Estimate   `json:"jitter,omitempty"`
	Delivered   *Estimate   `json:"delivered,omitempty"`
	LossDelta   *Difference `json:"loss_delta,omitempty"`
	JitterDelta *Difference `json:"jitter_delta,omitempty"`
	// UDP: the rate the sender was told to send (OfferedBps) and achieved
	// (Sent, bits/s), and how many samples fell below SenderLimitedShare of
	// it: those measure the sending host, not the path (Judge).
	OfferedBps    float64   `json:"offered_bps,omitempty"`
	Sent          *Estimate `json:"sent,omitempty"`
	SenderLimited int       `json:"sender_limited,omitempty"`
	CPU           *CPUUse   `json:"cpu,omitempty"`
	// NodeCPU is each side's node CPU (nodecpu.go): CPU-seconds per Gbit
	// and their tax against the baseline's; nil when not measured.
	NodeCPU    *NodeCPU    `json:"node_cpu,omitempty"`
	Overhead   *Overhead   `json:"overhead,omitempty"`
	Floor      *Floor      `json:"floor,omitempty"`
	AboveFloor *AboveFloor `json:"above_floor,omitempty"` // overhead − floor, with its interval
	// ConnectRTT describes each sample's median idle round-trip time (µs)
	// and RTTDelta what it adds to the baseline's; nil when not measured.
	ConnectRTT *Estimate `json:"connect_rtt,omitempty"`
	RTTDelta   *RTTDelta `json:"rtt_delta,omitempty"`
	Warnings   []Warning `json:"warnings,omitempty"`

	// BaselineScenario names the scenario this group is compared with (its
	// own name for a baseline): node-node for cross-node paths,
	// node-node-same for same-node ones; "" in records written before it.
	BaselineScenario string `json:"baseline_scenario,omitempty"`
}

// Summarize describes g and compares it with baseline: pass g itself as
// baseline for the baseline group, nil when the run has none.
func (c Config) Summarize(g Group, baseline *Group) Summary {
	c = c.withDefaults()
	s := Summary{Key: g.Key, Failed: len(g.Errors), Errors: distinct(g.Errors)}
	if g.Path != nil {
		s.Floor = PathFloor(*g.Path, g.Key.Protocol)
	}
	s.N = len(g.Samples)
	s.Baseline = baseline != nil && baseline.Key == g.Key
	warn := func(code, format string, args ...any) {
		s.Warnings = append(s.Warnings, Warning{Code: code, Message: fmt.Sprintf(format, args...)})
	}
	var failures []Warning
	s.Status, failures = sampleStatus(s.N, s.Failed, s.Errors)
	s.Warnings = append(s.Warnings, failures...)
	if s.Status == StatusFailed {
		return s
	}
	goodputs := g.Goodputs()
	s.Goodput = c.Estimate(g.Key, goodputs)
	if s.Goodput.MedianCI == nil {
		warn(WarnFewSamples, "only %d successful sample(s): no %g%% interval for the median exists below %d; use --repeats %d or more",
			s.N, c.Confidence*100, MinRepeatsForMedianCI(c.Confidence), MinRepeatsForMedianCI(c.Confidence))
	}
	s.Retransmits, s.LossPercent, s.JitterMs = transportFigures(g.Key.Protocol, g.Samples)
	if g.Key.Protocol == UDP {
		c.udpFigures(&s, g.Samples, baseline)
	}
	if s.SenderLimited > 0 {
		warn(WarnSenderLimited, "in %d of %d samples the sender reached less than %.0f%% of the offered %.0f Mbit/s (median %.0f Mbit/s sent): the host, not the path, set the rate; lower --udp-rate",
			s.SenderLimited, s.N, SenderLimitedShare*100, s.OfferedBps/1e6, s.Sent.Median/1e6)
	}
	if s.CPU = c.cpuUse(g.Samples); s.CPU != nil && s.CPU.Bound {
		side, pct := "sender", s.CPU.Sender
		if s.CPU.Receiver > pct {
			side, pct = "receiver", s.CPU.Receiver
		}
		warn(WarnCPUBound, "CPU-bound: the %s used %.0f%% of a core (> %.0f%%): the figure says more about the CPU than the network", side, pct, c.MaxCPU)
	}
	rtts := g.RTTs()
	s.ConnectRTT = c.Estimate(g.Key, rtts)
	if n := rttFailures(g.Samples); n > 0 {
		warn(WarnRTTFailed, "in %d of %d samples every connect-RTT probe failed (the test itself connected): no RTT from them", n, s.N)
	}
	if baseline != nil && !s.Baseline {
		s.RTTDelta = c.rttDelta(rtts, baseline.RTTs())
	}
	switch {
	case s.Baseline:
	case baseline == nil:
		warn(WarnNoBaseline, "no baseline with the same variant, protocol and streams: no overhead")
	case len(baseline.Goodputs()) == 0:
		warn(WarnBaselineFailed, "the baseline %s has no successful sample: no overhead", baseline.Key.Scenario)
	default:
		var unpaired bool
		if s.Overhead, unpaired = c.overhead(g.Samples, baseline.Samples); unpaired {
			warn(WarnUnpaired, "unpaired overhead: %s; drift between rounds stays in its interval", s.Overhead.Unpaired)
		}
		switch o := s.Overhead; {
		case o == nil:
			warn(WarnBaselineFailed, "the baseline %s or this group measured 0 bit/s in a sample: no overhead (a ratio needs positive rates)", baseline.Key.Scenario)
		case o.CI == nil && s.Goodput.MedianCI != nil: // else already warned
			warn(WarnFewSamples, "with %d and %d samples the overhead has no %g%% interval and no difference can be significant (smallest possible p = %.3f); use --repeats %d or more",
				s.N, o.BaselineN, c.Confidence*100, MinPValue(s.N, o.BaselineN), MinRepeatsForMedianCI(c.Confidence))
		}
	}
	s.AboveFloor = aboveFloor(s.Overhead, s.Floor)
	if msg := c.noisy(s, goodputs); msg != "" {
		warn(WarnNoisy, "%s", msg)
	}
	var bases []Sample // none for a baseline: no tax against itself
	if baseline != nil && !s.Baseline {
		bases = baseline.Samples
	}
	var cpuFailure string
	s.NodeCPU, cpuFailure = c.nodeCPU(g.Key, g.Samples, bases)
	s.Warnings = c.nodeCPUWarnings(s, cpuFailure)
	return s
}

// transportFigures are the TCP retransmits or the UDP loss and jitter.
func transportFigures(p Protocol, results []Sample) (*Retransmits, *float64, *float64) {
	if p == UDP {
		loss := make([]float64, len(results))
		jitter := make([]float64, len(results))
		for i, r := range results {
			loss[i], jitter[i] = r.LostPercent, r.JitterMs
		}
		l, j := median(loss), median(jitter)
		return nil, &l, &j
	}
	var retr []float64
	var total int64
	for _, r := range results {
		if r.Retransmits >= 0 {
			retr = append(retr, float64(r.Retransmits))
			total += r.Retransmits
		}
	}
	if len(retr) == 0 {
		return nil, nil, nil
	}
	return &Retransmits{Median: median(retr), Total: total}, nil, nil
}

// cpuUse is the median CPU of each side, nil when no sample reported any.
func (c Config) cpuUse(results []Sample) *CPUUse {
	var snd, rcv []float64
	for _, r := range results {
		if r.SenderCPU == 0 && r.ReceiverCPU == 0 {
			continue
		}
		snd, rcv = append(snd, r.SenderCPU), append(rcv, r.ReceiverCPU)
	}
	if len(snd) == 0 {
		return nil
	}
	u := &CPUUse{Sender: median(snd), Receiver: median(rcv)}
	u.Bound = u.Sender > c.MaxCPU || u.Receiver > c.MaxCPU
	return u
}

// distinct returns errs without repeats, in order of first appearance.
func distinct(errs []string) []string {
	var out []string
	for _, e := range errs {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

// sampleStatus is a group's status from its successful (n) and failed
// sample counts, with the warnings every summary gives about failures:
// StatusFailed, and why, when no sample succeeded.
func sampleStatus(n, failed int, errs []string) (Status, []Warning) {
	switch {
	case n == 0 && failed == 0:
		return StatusFailed, []Warning{{Code: WarnFailed, Message: "no samples: nothing was measured"}}
	case n == 0:
		return StatusFailed, []Warning{{Code: WarnFailed, Message: fmt.Sprintf("all %d samples failed: %s", failed, errs[0])}}
	case failed > 0:
		return StatusOK, []Warning{{Code: WarnFailedSamples, Message: fmt.Sprintf("%d of %d samples failed and are excluded: %s", failed, failed+n, errs[0])}}
	}
	return StatusOK, nil
}
