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
// differently are never compared without saying so.
func (r *Run) Modes() []string {
	var out []string
	for _, s := range r.Samples {
		if s.Failed() {
			continue
		}
		for _, m := range slices.Concat(s.Result.Modes, s.Result.PeerModes) {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Discarded reports whether the run's TCP receivers dropped the bytes
// unread: the plan asked for it, or a test's side says it did.
func (r *Run) Discarded() bool {
	return r.Plan.Discard || slices.Contains(r.Modes(), ModeTCPDiscard)
}
