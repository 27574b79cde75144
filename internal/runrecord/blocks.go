package runrecord

import (
	"slices"

	"github.com/cnibench/cnibench/internal/stats"
)

// BlockSizes are the bytes per write (TCP) or per datagram (UDP) that
// the run's measured tests used, by protocol, each size once in the order
// first met: what the tests did, whatever the plan's defaults were.
func (r *Run) BlockSizes() map[stats.Protocol][]int {
	sizes := map[stats.Protocol][]int{}
	for _, s := range r.Samples {
		if s.Failed() || s.Result.Spec.Length <= 0 {
			continue
		}
		if n := s.Result.Spec.Length; !slices.Contains(sizes[s.Protocol], n) {
			sizes[s.Protocol] = append(sizes[s.Protocol], n)
		}
	}
	return sizes
}
