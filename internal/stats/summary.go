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
	WarnNoisy          = "noisy"           // CV above Config.MaxCV
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
// baseline's median goodput: 0.06 means 6% slower, negative means faster.
type Overhead struct {
	Ratio          float64     `json:"ratio"`        // 1 − median / baseline median
	CI             *Interval   `json:"ci,omitempty"` // bootstrap of both groups
	BaselineMedian float64     `json:"baseline_median"`
	BaselineN      int         `json:"baseline_n"`
	Test           MannWhitney `json:"test"`        // this group's goodputs against the baseline's
	Significant    bool        `json:"significant"` // Test.P < Config.Alpha
}

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
	Baseline    bool         `json:"baseline,omitempty"` // this group is the baseline of its variant
	Status      Status       `json:"status"`
	N           int          `json:"n"`      // successful samples
	Failed      int          `json:"failed"` // failed samples, excluded from every figure
	Errors      []string     `json:"errors,omitempty"`
	Goodput     *Estimate    `json:"goodput,omitempty"` // receiver's bits/s
	Retransmits *Retransmits `json:"retransmits,omitempty"`
	LossPercent *float64     `json:"loss_percent,omitempty"` // UDP: median lost datagrams, %
	JitterMs    *float64     `json:"jitter_ms,omitempty"`    // UDP: median jitter
	CPU         *CPUUse      `json:"cpu,omitempty"`
	Overhead    *Overhead    `json:"overhead,omitempty"`
	Floor       *Floor       `json:"floor,omitempty"`
	// ConnectRTT describes each sample's median idle round-trip time (µs)
	// and RTTDelta what it adds to the baseline's; nil when not measured.
	ConnectRTT *Estimate `json:"connect_rtt,omitempty"`
	RTTDelta   *RTTDelta `json:"rtt_delta,omitempty"`
	Warnings   []Warning `json:"warnings,omitempty"`
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
	if s.N < c.MinSamples {
		warn(WarnFewSamples, "only %d successful sample(s): no confidence interval possible; add --repeats", s.N)
	}
	if cv := s.Goodput.CV; cv != nil && *cv > c.MaxCV {
		warn(WarnNoisy, "noisy: CV %.1f%% > %.0f%%: add --repeats or --duration", *cv*100, c.MaxCV*100)
	}
	s.Retransmits, s.LossPercent, s.JitterMs = transportFigures(g.Key.Protocol, g.Samples)
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
		s.RTTDelta = c.rttDelta(g.Key, rtts, baseline.RTTs())
	}
	switch {
	case s.Baseline:
	case baseline == nil:
		warn(WarnNoBaseline, "no baseline with the same variant, protocol and streams: no overhead")
	case len(baseline.Goodputs()) == 0:
		warn(WarnBaselineFailed, "the baseline %s has no successful sample: no overhead", baseline.Key.Scenario)
	default:
		s.Overhead = c.overhead(g.Key, goodputs, baseline.Goodputs())
		switch o := s.Overhead; {
		case o == nil:
			warn(WarnBaselineFailed, "the baseline %s measured 0 bit/s: no overhead", baseline.Key.Scenario)
		case s.N < c.MinSamples: // already warned
		case o.CI == nil:
			warn(WarnFewSamples, "the baseline has only %d successful sample(s): no interval for the overhead", o.BaselineN)
		case MinPValue(s.N, o.BaselineN) >= c.Alpha:
			warn(WarnFewSamples, "with %d and %d samples no difference from the baseline can be significant (smallest possible p = %.3f); use --repeats 5 or more",
				s.N, o.BaselineN, MinPValue(s.N, o.BaselineN))
		}
	}
	return s
}

// overhead compares goodputs with the baseline's; nil when the baseline's
// median is not positive.
func (c Config) overhead(key Key, x, base []float64) *Overhead {
	bm := median(base)
	if !(bm > 0) {
		return nil
	}
	o := &Overhead{Ratio: 1 - median(x)/bm, BaselineMedian: bm, BaselineN: len(base)}
	o.Test, _ = MannWhitneyU(x, base) // both groups are non-empty
	o.Significant = o.Test.P < c.Alpha
	if len(x) >= c.MinSamples && len(base) >= c.MinSamples {
		o.CI = c.bootstrapRatio(key, "overhead", x, base, func(mx, mb float64) float64 { return 1 - mx/mb })
	}
	return o
}

// bootstrapRatio is the percentile interval of f(median(x*), median(y*))
// over resamples x* of x and y* of y, drawn independently.
func (c Config) bootstrapRatio(key Key, purpose string, x, y []float64, f func(mx, my float64) float64) *Interval {
	rng := c.rng(key, purpose)
	bx, by := make([]float64, len(x)), make([]float64, len(y))
	draws := make([]float64, c.Resamples)
	for i := range draws {
		mx := resampleMedian(rng, x, bx)
		my := resampleMedian(rng, y, by)
		draws[i] = f(mx, my)
	}
	return percentileInterval(draws, c.Confidence)
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
