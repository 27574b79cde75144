package stats

import (
	"fmt"
	"math"
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
)

// Warning is something the reader must know before trusting a figure, with
// advice. Code is one of the Warn constants.
type Warning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Overhead is what a scenario costs against the baseline, as a share of the
// baseline's goodput: 0.06 means 6% slower, negative means faster. Estimate,
// interval and test are one family (MethodHodgesLehmann): the Hodges–Lehmann
// shift of log goodput, its Moses interval and the Mann-Whitney test, which
// the interval inverts, so a mark and an interval never disagree.
type Overhead struct {
	Ratio          float64     `json:"ratio"`        // 1 − exp(Hodges–Lehmann shift of log goodput)
	CI             *Interval   `json:"ci,omitempty"` // Moses interval; nil when none reaches the level
	Method         string      `json:"method,omitempty"`
	BaselineMedian float64     `json:"baseline_median"`
	BaselineN      int         `json:"baseline_n"`
	Test           MannWhitney `json:"test"` // this group's goodputs against the baseline's
	// AdjustedP is Test.P after Holm's correction over the run's family of
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
	CPU         *CPUUse     `json:"cpu,omitempty"`
	Overhead    *Overhead   `json:"overhead,omitempty"`
	Floor       *Floor      `json:"floor,omitempty"`
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
	if s.N == 0 {
		s.Status = StatusFailed
		if s.Failed == 0 {
			warn(WarnFailed, "no samples: nothing was measured")
		} else {
			warn(WarnFailed, "all %d samples failed: %s", s.Failed, s.Errors[0])
		}
		return s
	}
	s.Status = StatusOK
	if s.Failed > 0 {
		warn(WarnFailedSamples, "%d of %d samples failed and are excluded: %s", s.Failed, s.Failed+s.N, s.Errors[0])
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
		s.Overhead = c.overhead(goodputs, baseline.Goodputs())
		switch o := s.Overhead; {
		case o == nil:
			warn(WarnBaselineFailed, "the baseline %s or this group measured 0 bit/s in a sample: no overhead (a ratio needs positive rates)", baseline.Key.Scenario)
		case o.CI == nil && s.Goodput.MedianCI != nil: // else already warned
			warn(WarnFewSamples, "with %d and %d samples the overhead has no %g%% interval and no difference can be significant (smallest possible p = %.3f); use --repeats %d or more",
				s.N, o.BaselineN, c.Confidence*100, MinPValue(s.N, o.BaselineN), MinRepeatsForMedianCI(c.Confidence))
		}
	}
	if msg := c.noisy(s, goodputs); msg != "" {
		warn(WarnNoisy, "%s", msg)
	}
	return s
}

// overhead compares goodputs with the baseline's; nil when the baseline's
// median is not positive or a goodput is 0 (a ratio needs positive rates).
func (c Config) overhead(x, base []float64) *Overhead {
	bm := median(base)
	lx, lb := logs(x), logs(base)
	if !(bm > 0) || lx == nil || lb == nil {
		return nil
	}
	sh := HodgesLehmann(lx, lb, c.Confidence)
	o := &Overhead{Ratio: -math.Expm1(sh.Estimate), Method: MethodHodgesLehmann, BaselineMedian: bm, BaselineN: len(base)}
	o.Test, _ = MannWhitneyU(x, base) // both groups are non-empty
	o.AdjustedP, o.FamilySize = o.Test.P, 1
	o.Significant = o.Test.P < c.Alpha
	if sh.CI != nil {
		o.CI = overheadInterval(*sh.CI)
	}
	o.Equivalence = c.equivalence(lx, lb)
	o.MinDetectable = minDetectable(lx, lb, c.Alpha)
	return o
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
