package stats

import "fmt"

// Defaults of Config.
const (
	DefaultConfidence = 0.95
	DefaultAlpha      = 0.05
	DefaultResamples  = 10000
	DefaultSeed       = 1
	DefaultMaxCPU     = 90 // percent of one core above which a side is CPU-bound
	DefaultMinSamples = 3  // fewest samples for which a confidence interval is given
)

// Config tunes the statistics. The zero value of every field means its default.
type Config struct {
	Confidence float64 // level of every confidence interval (0.95)
	Alpha      float64 // significance level of the Mann-Whitney test (0.05)
	Resamples  int     // bootstrap resamples (10000)
	Seed       uint64  // bootstrap seed, mixed with the group's key (1)
	MaxCPU     float64 // CPU-bound threshold in percent of one core (90)
	MinSamples int     // fewest successful samples for the mean's interval and a comparison's (3)
	// EquivalenceMargin is the ± overhead within which a path counts as
	// costing nothing (0.02); see Equivalence.
	EquivalenceMargin float64
}

func (c Config) withDefaults() Config {
	if c.Confidence <= 0 || c.Confidence >= 1 {
		c.Confidence = DefaultConfidence
	}
	if c.Alpha <= 0 || c.Alpha >= 1 {
		c.Alpha = DefaultAlpha
	}
	if c.Resamples <= 0 {
		c.Resamples = DefaultResamples
	}
	if c.Seed == 0 {
		c.Seed = DefaultSeed
	}
	if c.MaxCPU <= 0 {
		c.MaxCPU = DefaultMaxCPU
	}
	if c.EquivalenceMargin <= 0 {
		c.EquivalenceMargin = DefaultEquivalenceMargin
	}
	if c.MinSamples < 2 {
		c.MinSamples = DefaultMinSamples
	}
	return c
}

// Key names a scenario group: every sample with the same Key measured the
// same thing and is a repeat of the others.
type Key struct {
	Variant  string   `json:"variant,omitempty"` // e.g. "datapath=vxlan"; empty when the run has one
	Scenario string   `json:"scenario"`          // e.g. "pod-pod-cross"
	Protocol Protocol `json:"protocol"`
	Streams  int      `json:"streams"`
}

// String is the key as people read it: "pod-pod-cross tcp ×4 [datapath=vxlan]".
func (k Key) String() string {
	s := fmt.Sprintf("%s %s ×%d", k.Scenario, k.Protocol, k.Streams)
	if k.Variant != "" {
		s += " [" + k.Variant + "]"
	}
	return s
}

// Group is the input of Summarize: one scenario group's successful
// samples and the errors of its failed ones.
type Group struct {
	Key     Key
	Samples []Sample   // successful samples
	Errors  []string   // one per failed sample
	Path    *PathFacts // the network the group crossed, nil when unknown
}

// Goodputs returns the receiver's rate of each successful sample in bits/s.
func (g Group) Goodputs() []float64 {
	v := make([]float64, 0, len(g.Samples))
	for _, s := range g.Samples {
		v = append(v, s.Goodput)
	}
	return v
}
