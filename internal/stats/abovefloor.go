package stats

// AboveFloor is what a path costs beyond its physical floor: the overhead
// minus the floor's ratio, with the overhead's interval moved by the same
// amount (the floor is computed, not measured, so it adds no uncertainty).
// Ratio near 0 with an interval holding 0: the path costs what its headers
// cost; above 0: the implementation costs more (per-packet work, conntrack,
// NAT); below 0: the wire was not the bottleneck (a CPU-bound baseline, a
// paced UDP rate).
type AboveFloor struct {
	Ratio float64   `json:"ratio"`        // Overhead.Ratio − Floor.Ratio, a share of the baseline's goodput
	CI    *Interval `json:"ci,omitempty"` // Overhead.CI − Floor.Ratio; nil when the overhead has none
}

// aboveFloor is o − f, nil when either is missing.
func aboveFloor(o *Overhead, f *Floor) *AboveFloor {
	if o == nil || f == nil {
		return nil
	}
	a := &AboveFloor{Ratio: o.Ratio - f.Ratio}
	if o.CI != nil {
		a.CI = &Interval{Low: o.CI.Low - f.Ratio, High: o.CI.High - f.Ratio, Level: o.CI.Level}
	}
	return a
}
