package stats

// RTTDelta is what a scenario adds to the baseline's idle round-trip time
// (Sample.RTTMedianUs): latency, unlike goodput, costs by adding.
type RTTDelta struct {
	DeltaUs          float64     `json:"delta_us"`     // median − baseline median, µs; negative = faster
	CI               *Interval   `json:"ci,omitempty"` // µs, bootstrap of both groups
	Ratio            float64     `json:"ratio"`        // median / baseline median − 1
	BaselineMedianUs float64     `json:"baseline_median_us"`
	BaselineN        int         `json:"baseline_n"`
	Test             MannWhitney `json:"test"`        // this group's RTTs against the baseline's
	Significant      bool        `json:"significant"` // Test.P < Config.Alpha
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
func (c Config) rttDelta(key Key, x, base []float64) *RTTDelta {
	if len(x) == 0 || len(base) == 0 {
		return nil
	}
	mx, mb := median(x), median(base)
	d := &RTTDelta{DeltaUs: mx - mb, BaselineMedianUs: mb, BaselineN: len(base)}
	if mb > 0 {
		d.Ratio = mx/mb - 1
	}
	d.Test, _ = MannWhitneyU(x, base)
	d.Significant = d.Test.P < c.Alpha
	if len(x) >= c.MinSamples && len(base) >= c.MinSamples {
		d.CI = c.bootstrapRatio(key, "rtt", x, base, func(mx, mb float64) float64 { return mx - mb })
	}
	return d
}
