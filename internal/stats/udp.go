package stats

// Difference is what a group adds to its baseline's figure (loss in
// percentage points, jitter in ms): the Hodges–Lehmann shift with its Moses
// interval and the Mann-Whitney test, the unpaired overhead's family.
type Difference struct {
	Delta       float64     `json:"delta"`
	CI          *Interval   `json:"ci,omitempty"`
	Test        MannWhitney `json:"test"`
	AdjustedP   float64     `json:"adjusted_p,omitempty"` // Holm over the run's family (FamilySize tests)
	FamilySize  int         `json:"family_size,omitempty"`
	Significant bool        `json:"significant"` // AdjustedP < Config.Alpha
}

// difference compares x with base; nil when either is empty.
func (c Config) difference(x, base []float64) *Difference {
	if len(x) == 0 || len(base) == 0 {
		return nil
	}
	sh := HodgesLehmann(x, base, c.Confidence)
	d := &Difference{Delta: sh.Estimate, CI: sh.CI}
	d.Test, _ = MannWhitneyU(x, base)
	d.AdjustedP, d.FamilySize, d.Significant = d.Test.P, 1, d.Test.P < c.Alpha
	return d
}

// udpFigures fills the UDP estimates: a paced test's goodput is the rate it
// was told to send, so what a path costs shows in what it delivered of that
// (Delivered), in loss and in jitter, each with an interval and a test
// against the baseline.
func (c Config) udpFigures(s *Summary, results []Sample, baseline *Group) {
	loss, jitter, delivered := udpValues(results)
	s.Loss, s.Jitter = c.Estimate(s.Key, loss), c.Estimate(s.Key, jitter)
	s.Delivered = c.Estimate(s.Key, delivered)
	c.senderFigures(s, results)
	if baseline == nil || s.Baseline {
		return
	}
	bl, bj, _ := udpValues(baseline.Samples)
	s.LossDelta, s.JitterDelta = c.difference(loss, bl), c.difference(jitter, bj)
}

// udpValues are each sample's receiver loss (%), jitter (ms) and delivered
// share of the offered rate (delivered only when the rate was set).
func udpValues(samples []Sample) (loss, jitter, delivered []float64) {
	for _, r := range samples {
		loss = append(loss, r.LostPercent)
		jitter = append(jitter, r.JitterMs)
		if r.OfferedBps > 0 {
			delivered = append(delivered, r.Goodput/r.OfferedBps)
		}
	}
	return loss, jitter, delivered
}
