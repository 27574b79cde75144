package stats

import "fmt"

// noisy returns why the group's spread is too large for what it measures,
// or "". A fixed CV says nothing about a 0.2% MTU floor or a 30% overhead;
// what matters is whether the smallest overhead the test could detect
// (Overhead.MinDetectable) is larger than the effect in question: the
// overhead itself, the path's floor, or the equivalence margin, whichever is
// largest. The baseline and groups without one are judged against the
// margin, comparing the group with itself.
func (c Config) noisy(s Summary, goodputs []float64) string {
	effect := c.EquivalenceMargin
	var mde *float64
	if o := s.Overhead; o != nil {
		mde = o.MinDetectable
		effect = max(effect, abs64(o.Ratio))
		if s.Floor != nil {
			effect = max(effect, s.Floor.Ratio)
		}
	} else if lx := logs(goodputs); lx != nil {
		mde = minDetectable(lx, lx, c.Alpha)
	}
	if mde == nil || *mde <= effect {
		return ""
	}
	return fmt.Sprintf("noisy: the smallest overhead these repeats can detect is %.1f%%, above the %.1f%% in question: add --repeats or --duration", *mde*100, effect*100)
}

func abs64(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
