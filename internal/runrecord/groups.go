package runrecord

import (
	"slices"

	"github.com/cnibench/cnibench/internal/stats"
)

// Group is the samples of one scenario group, in run order.
type Group struct {
	Key     stats.Key
	Samples []Sample
}

// Groups splits the samples into scenario groups, in the plan's order
// (variants as they ran, then scenarios with the baseline first, protocols,
// streams), whatever order the rounds ran them in; groups the plan does not
// name keep the order of their first sample, after the others.
func (r *Run) Groups() []Group {
	var groups []Group
	for _, g := range inPlanOrder(r.Samples, Sample.Key, func(k stats.Key) string { return k.Variant }, func(k stats.Key) []int {
		return []int{planIndex(r.Plan.Scenarios, k.Scenario), planIndex(r.Plan.Protocols, k.Protocol), planIndex(r.Plan.Streams, k.Streams)}
	}) {
		groups = append(groups, Group{Key: g.key, Samples: g.samples})
	}
	return groups
}

// keyedSamples are the samples of one key.
type keyedSamples[K comparable, S any] struct {
	key     K
	samples []S
}

// inPlanOrder splits samples by key into groups in the plan's order:
// variants as they ran, then by the plan positions rank gives each key;
// groups of equal rank keep the order of their first sample.
func inPlanOrder[K comparable, S any](samples []S, key func(S) K, variant func(K) string, rank func(K) []int) []keyedSamples[K, S] {
	var groups []keyedSamples[K, S]
	index := map[K]int{}
	variants := map[string]int{}
	for _, s := range samples {
		k := key(s)
		if _, ok := variants[variant(k)]; !ok {
			variants[variant(k)] = len(variants)
		}
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, keyedSamples[K, S]{key: k})
		}
		groups[i].samples = append(groups[i].samples, s)
	}
	full := func(k K) []int { return append([]int{variants[variant(k)]}, rank(k)...) }
	slices.SortStableFunc(groups, func(a, b keyedSamples[K, S]) int { return slices.Compare(full(a.key), full(b.key)) })
	return groups
}

// planIndex is v's position in the plan's list, or after every known one.
func planIndex[T comparable](list []T, v T) int {
	if i := slices.Index(list, v); i >= 0 {
		return i
	}
	return 1 << 30
}

// Group returns the group with key, or nil.
func (r *Run) Group(key stats.Key) *Group {
	for _, g := range r.Groups() {
		if g.Key == key {
			return &g
		}
	}
	return nil
}

// Stats is the input of the statistics: successful samples' figures,
// failures' errors, and the facts a floor needs: the path's, the family of
// the address the tests connected to and, for UDP, their datagram size,
// from the first successful sample (nil when the path is unknown or no
// sample succeeded: then nothing tells the family). TCP timestamps are not
// recorded; the facts leave them on, as Linux does by default.
func (g Group) Stats(path *Path) stats.Group {
	sg := stats.Group{Key: g.Key}
	var first *Result
	for _, s := range g.Samples {
		if s.Failed() {
			if !s.Retried { // a fault's failure, measured again
				sg.Errors = append(sg.Errors, s.Error)
			}
			continue
		}
		if first == nil {
			first = s.Result
		}
		st := s.Result.statsSample()
		st.Round = s.Round
		if s.NodeCPU != nil {
			st.SenderNode, st.ReceiverNode, st.NodeCPUFailed = s.NodeCPU.statsNodeCPU()
		}
		sg.Samples = append(sg.Samples, st)
	}
	if path != nil && first != nil {
		sg.Path = &stats.PathFacts{Datapath: path.Datapath, Encapsulated: path.Encapsulated,
			HeaderTax: path.HeaderTax, MTU: path.MTU, UnderlayMTU: path.UnderlayMTU, IPVersion: first.ipVersion()}
		if g.Key.Protocol == stats.UDP {
			sg.Path.Datagram = first.Spec.Length
		}
	}
	return sg
}

// Path returns the path of a variant's scenario, or nil when not recorded.
func (r *Run) Path(variant, scenario string) *Path {
	for i := range r.Paths {
		if p := &r.Paths[i]; p.Variant == variant && p.Scenario == scenario {
			return &p.Path
		}
	}
	return nil
}

// Summarize computes every group's summary into r.Summaries, comparing each
// with its baseline's group (Plan.BaselineOf) of the same variant, protocol
// and streams, and corrects the significance of all the table's tests
// together (Holm).
func (r *Run) Summarize(cfg stats.Config) {
	groups := r.Groups()
	split := r.splitRounds()
	inputs := make(map[stats.Key]stats.Group, len(groups))
	for _, g := range groups {
		for i, s := range g.Samples {
			if split[roundID{s.Variant, s.Round}] {
				g.Samples[i].Round = 0 // its round ran in two attempts: no shared drift
			}
		}
		inputs[g.Key] = g.Stats(r.Path(g.Key.Variant, g.Key.Scenario))
	}
	r.Summaries = make([]stats.Summary, 0, len(groups))
	for _, g := range groups {
		bk := r.BaselineKey(g.Key)
		var base *stats.Group
		if b, ok := inputs[bk]; ok {
			base = &b
		}
		s := cfg.Summarize(inputs[g.Key], base)
		s.BaselineScenario = bk.Scenario
		r.Summaries = append(r.Summaries, s)
	}
	cfg.AdjustFamily(r.Summaries) // Holm over every test of the table
	r.summarizeLatency(cfg)
	r.ComputeSweeps(r.Plan.KneeDrop)
	r.SummarizeUDPMax()
}

// roundID is one round of one variant's interleaved order.
type roundID struct {
	variant string
	round   int
}

// splitRounds are the rounds whose samples a resumed run measured in more
// than one attempt: minutes or days apart, they share no drift, so the
// statistics must not pair them.
func (r *Run) splitRounds() map[roundID]bool {
	first := map[roundID]int{}
	split := map[roundID]bool{}
	for _, s := range r.Samples {
		id := roundID{s.Variant, s.Round}
		if s.Round == 0 {
			continue
		}
		if a, seen := first[id]; !seen {
			first[id] = s.Attempt
		} else if a != s.Attempt {
			split[id] = true
		}
	}
	return split
}

// BaselineKey is the key of the group that key's group is compared with:
// its baseline scenario's, same variant, protocol and streams.
func (r *Run) BaselineKey(key stats.Key) stats.Key {
	key.Scenario = r.Plan.BaselineOf(key.Scenario)
	return key
}

// Summary returns the summary of key, or nil.
func (r *Run) Summary(key stats.Key) *stats.Summary {
	for i := range r.Summaries {
		if r.Summaries[i].Key == key {
			return &r.Summaries[i]
		}
	}
	return nil
}

// Variants returns the variants of the samples, in run order.
func (r *Run) Variants() []string {
	var v []string
	for _, s := range r.Samples {
		if !slices.Contains(v, s.Variant) {
			v = append(v, s.Variant)
		}
	}
	return v
}

// Protocols returns the protocols of the summaries, in order.
func (r *Run) Protocols() []stats.Protocol {
	var p []stats.Protocol
	for _, s := range r.Summaries {
		if !slices.Contains(p, s.Protocol) {
			p = append(p, s.Protocol)
		}
	}
	return p
}

// FailedSamples counts the samples that failed.
func (r *Run) FailedSamples() int {
	n := 0
	for _, s := range r.Samples {
		if s.Failed() && !s.Retried {
			n++
		}
	}
	return n
}
