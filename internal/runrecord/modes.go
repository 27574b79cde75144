package runrecord

import "slices"

// ModeTCPDiscard is the engine's name for a TCP receiver that drops the
// bytes in the kernel, unread (engine.ModeTCPDiscard; cnibench run
// --discard): goodput without the copy to the program that every
// application pays.
const ModeTCPDiscard = "tcp-discard"

// Modes are the ways the run's measured throughput tests moved their
// bytes beyond a plain read or write per block, on either side, sorted,
// each once: what every report names, so that runs which moved bytes
// differently are never compared without saying so. discarded says the
// run's TCP receivers dropped the bytes unread: the plan asked for it, or
// a test's side says it did.
func (r *Run) Modes() (modes []string, discarded bool) {
	var lists [][]string
	for _, s := range r.Samples {
		if !s.Failed() {
			lists = append(lists, s.Result.Modes, s.Result.PeerModes)
		}
	}
	modes = UnionModes(lists...)
	return modes, r.Plan.Discard || slices.Contains(modes, ModeTCPDiscard)
}

// UnionModes is every mode of the lists, sorted, each once.
func UnionModes(lists ...[]string) []string {
	out := slices.Concat(lists...)
	slices.Sort(out)
	return slices.Compact(out)
}
