package stats

// RTTDelta is what a scenario adds to the baseline's idle round-trip time
// (Sample.RTTMedianUs): latency, unlike goodput, costs by adding.
type RTTDelta struct {
	DeltaUs          float64     `json:"delta_us"`     // median − baseline median, µs; negative = faster
	CI               *Interval   `json:"ci,omitempty"` // µs, Moses interval of the Hodges–Lehmann shift
	Ratio            float64     `json:"ratio"`        // median / baseline median − 1
	BaselineMedianUs float64     `json:"baseline_median_us"`
	BaselineN        int         `json:"baseline_n"`
	Test             MannWhitney `json:"test"` // this group's RTTs against the baseline's
	// AdjustedP is Test.P after Holm's correction over the run's family
	// (FamilySize tests); Significant is AdjustedP < Config.Alpha.
	AdjustedP   float64 `json:"adjusted_p,omitempty"`
	FamilySize  int     `json:"family_size,omitempty"`
	Significant bool    `json:"significant"`
}

// RTTs returns each successful sample's median connect RTT in µs, for the
// samples that measured one.
func (g Group) RTTs() []float64 {
	var v []float64
	for _, s := range g.Samples {
		if s.RTTSamples > 0 {
			v = append(v, s.RTTMedianUs)
		}
	}
	return v
}

// rttFailures counts the results that asked for RTT probes and got no
// sample from any.
func rttFailures(results []Sample) int {
	n := 0
	for _, r := range results {
		if r.RTTProbes > 0 && r.RTTSamples == 0 {
			n++
		}
	}
	return n
}

// rttDelta compares RTTs with the baseline's; nil when either has none.
// DeltaUs is the Hodges–Lehmann shift, with its Moses interval and the
// Mann-Whitney test (the unpaired overhead's family, on µs instead of log
// goodput: latency costs by adding).
func (c Config) rttDelta(x, base []float64) *RTTDelta {
	if len(x) == 0 || len(base) == 0 {
		return nil
	}
	sh := HodgesLehmann(x, base, c.Confidence)
	mb := median(base)
	d := &RTTDelta{DeltaUs: sh.Estimate, CI: sh.CI, BaselineMedianUs: mb, BaselineN: len(base)}
	if mb > 0 {
		d.Ratio = median(x)/mb - 1
	}
	d.Test, _ = MannWhitneyU(x, base)
	d.AdjustedP, d.FamilySize = d.Test.P, 1
	d.Significant = d.Test.P < c.Alpha
	return d
}
