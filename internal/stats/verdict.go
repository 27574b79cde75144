package stats

import "fmt"

// Verdict kinds, stable for scripts (the CSV's verdict column).
const (
	VerdictBaseline      = "baseline"       // the bare path the others are compared with
	VerdictFailed        = "failed"         // every test failed
	VerdictNotComparable = "not-comparable" // no overhead that means the path's cost; Text says why
	VerdictFloorCost     = "floor-cost"     // overhead consistent with the path's floor (header or MTU)
	VerdictAboveFloor    = "above-floor"    // overhead beyond the floor: the implementation costs more
	VerdictBelowFloor    = "below-floor"    // overhead below the floor: the underlay was not the bottleneck
	VerdictNoCost        = "no-cost"        // overhead within ±EquivalenceMargin (TOST)
	VerdictFaster        = "faster"         // significantly faster than the baseline
	VerdictUnclear       = "unclear"        // the data cannot tell; more repeats could
)

// SenderLimitedShare is the share of the offered rate below which a paced
// (UDP) sender counts as sender-limited: it could not send what it was
// told, so what the receiver got says more about the sending host than
// the path.
const SenderLimitedShare = 0.95

// Verdict is what a scenario's row means for a person deciding about the
// path, in one short line: Kind for scripts, Text for people.
type Verdict struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
}

// Judge gives s its verdict against the baseline summary it was compared
// with (nil when there is none). It reads only figures already in the
// summaries, after Holm's correction, so the verdict, the mark and the
// interval never disagree:
//
//   - floor cost: significant, and the interval holds the floor (> 0);
//   - above the floor: significant, and the interval lies above the floor
//     (0 when the path has none);
//   - no cost: the equivalence test puts the overhead within ±margin;
//   - below the floor, faster: significant, the interval below the floor
//     (or below 0);
//   - unclear otherwise, and not comparable when the overhead cannot mean
//     the path's cost (no baseline, a sender that could not reach its rate).
func Judge(s Summary, baseline *Summary) Verdict {
	v := func(kind, format string, args ...any) Verdict {
		return Verdict{Kind: kind, Text: fmt.Sprintf(format, args...)}
	}
	switch {
	case s.Baseline:
		return v(VerdictBaseline, "baseline: the bare path")
	case s.Status == StatusFailed:
		return v(VerdictFailed, "failed: no test succeeded")
	case baseline == nil:
		return v(VerdictNotComparable, "not comparable: no baseline")
	case baseline.Status == StatusFailed:
		return v(VerdictNotComparable, "not comparable: baseline failed")
	case s.SenderLimited > 0:
		return v(VerdictNotComparable, "not comparable: sender-limited")
	case baseline.SenderLimited > 0:
		return v(VerdictNotComparable, "not comparable: baseline sender-limited")
	case s.Overhead == nil:
		return v(VerdictNotComparable, "not comparable: a test measured 0 bit/s")
	case s.Overhead.CI == nil:
		return v(VerdictUnclear, "unclear: too few repeats")
	}
	o, ci := s.Overhead, *s.Overhead.CI
	floor, what := 0.0, ""
	if f := s.Floor; f != nil && f.Kind != FloorNone && f.Ratio > 0 {
		floor, what = f.Ratio, "header"
		if f.Kind == FloorMTU {
			what = "MTU"
		}
	}
	switch {
	case o.Significant && floor > 0 && ci.Contains(floor):
		return v(VerdictFloorCost, "costs what its %s costs", what)
	case o.Significant && ci.Low > floor && floor > 0:
		return v(VerdictAboveFloor, "costs more than its %s: CPU per packet", what)
	case o.Significant && ci.Low > 0 && floor == 0:
		return v(VerdictAboveFloor, "costs more than the bare path")
	case o.Equivalence != nil && o.Equivalence.Equivalent:
		return v(VerdictNoCost, "no measurable cost")
	case o.Significant && ci.Low > 0: // below a positive floor
		return v(VerdictBelowFloor, "costs less than its %s: link not full", what)
	case o.Significant && ci.High < 0:
		return v(VerdictFaster, "faster than the baseline")
	}
	return v(VerdictUnclear, "unclear: add --repeats")
}

// senderFigures fills what a paced test's sender achieved: its send rate
// and how many samples fell below SenderLimitedShare of the offered rate.
func (c Config) senderFigures(s *Summary, samples []Sample) {
	var sent []float64
	for _, r := range samples {
		if r.OfferedBps <= 0 || r.SentBps <= 0 {
			continue
		}
		sent = append(sent, r.SentBps)
		if r.SentBps < SenderLimitedShare*r.OfferedBps {
			s.SenderLimited++
		}
		s.OfferedBps = r.OfferedBps
	}
	s.Sent = c.Estimate(s.Key, sent)
}
