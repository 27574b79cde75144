package stats

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Interval is a confidence interval. Level is the coverage it achieves,
// which for the exact rank-based intervals (the median's, the Moses
// interval) is at least, and usually above, the level asked for (e.g. 0.969
// for the median of 6 values at 0.95).
type Interval struct {
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
	Level float64 `json:"level"`
}

// Contains reports whether v lies in the interval, ends included.
func (i Interval) Contains(v float64) bool { return v >= i.Low && v <= i.High }

// Estimate describes a set of values (goodputs in bits/s). Figures that the
// data cannot support are nil: Stdev and CV need 2 values, the intervals
// Config.MinSamples.
type Estimate struct {
	N        int       `json:"n"`
	Median   float64   `json:"median"`
	Mean     float64   `json:"mean"`
	Min      float64   `json:"min"`
	Max      float64   `json:"max"`
	Stdev    *float64  `json:"stdev,omitempty"`     // sample standard deviation (n−1)
	CV       *float64  `json:"cv,omitempty"`        // Stdev / Mean
	MedianCI *Interval `json:"median_ci,omitempty"` // exact order-statistic interval; nil when none reaches the level
	MeanCI   *Interval `json:"mean_ci,omitempty"`
}

// Estimate computes the description of values; nil when there are none.
// The median's interval is the exact order-statistic interval
// (MedianInterval: nil below 6 values at 95%), the mean's a Student t
// interval.
func (c Config) Estimate(key Key, values []float64) *Estimate {
	c = c.withDefaults()
	if len(values) == 0 {
		return nil
	}
	x := slices.Clone(values)
	slices.Sort(x)
	e := &Estimate{N: len(x), Median: MedianSorted(x), Mean: stat.Mean(x, nil), Min: x[0], Max: x[len(x)-1]}
	if len(x) >= 2 {
		sd := stat.StdDev(x, nil)
		e.Stdev = &sd
		if e.Mean != 0 {
			cv := sd / e.Mean
			e.CV = &cv
		}
	}
	e.MedianCI = MedianInterval(x, c.Confidence)
	if len(x) >= c.MinSamples {
		e.MeanCI = studentInterval(e.Mean, *e.Stdev, len(x), c.Confidence)
	}
	return e
}

// rng returns the bootstrap generator of one computation: seeded from the
// configured seed and the key and purpose, so each figure is reproducible
// whatever order the groups are summarised in.
func (c Config) rng(key Key, purpose string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(key.String()))
	h.Write([]byte{0})
	h.Write([]byte(purpose))
	return rand.New(rand.NewPCG(c.Seed, h.Sum64()))
}

// MedianSorted is the conventional sample median of sorted, non-empty x:
// the middle value, or the mean of the two middle values when len(x) is
// even.
func MedianSorted(x []float64) float64 {
	n := len(x)
	if n%2 == 1 {
		return x[n/2]
	}
	return (x[n/2-1] + x[n/2]) / 2
}

// median is MedianSorted of a sorted copy of x.
func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return MedianSorted(s)
}

// percentileInterval is the percentile bootstrap interval of draws at level
// (it sorts draws), or nil when an end is not finite.
func percentileInterval(draws []float64, level float64) *Interval {
	slices.Sort(draws)
	tail := (1 - level) / 2
	lo := stat.Quantile(tail, stat.Empirical, draws, nil)
	hi := stat.Quantile(1-tail, stat.Empirical, draws, nil)
	if !finite(lo) || !finite(hi) {
		return nil
	}
	return &Interval{Low: lo, High: hi, Level: level}
}

// studentInterval is mean ± t(level, n−1)·sd/√n.
func studentInterval(mean, sd float64, n int, level float64) *Interval {
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(1 - (1-level)/2)
	half := t * sd / math.Sqrt(float64(n))
	return &Interval{Low: mean - half, High: mean + half, Level: level}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
