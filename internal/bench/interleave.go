package bench

import (
	"hash/fnv"
	"math/rand/v2"
	"slices"
)

// roundOrders returns, for each of rounds rounds, the order in which the
// round runs g groups (group indexes by position). It is balanced: every
// group's mean position over the rounds is the same ((g−1)/2), exactly when
// g is odd or rounds is even and within 1/rounds of it otherwise, so a steady
// drift over the run favours no group. And it is random within rounds, from
// seed and variant: the group that runs before another changes from round to
// round, so carry-over (a warm cache, a queue left by the previous test)
// does not always hit the same neighbour.
//
// Rounds come in mirrored pairs (a random order, then its reverse), and an
// odd count ends with a balanced triple: positions a, a + h and 3h − 2a − h
// (mod g) for g = 2h + 1, which sum to 3h for every group (a 3 × g magic
// rectangle); for even g the triple is built for g + 1 and the extra slot
// dropped.
func roundOrders(g, rounds int, seed uint64, variant string) [][]int {
	h := fnv.New64a()
	h.Write([]byte(variant))
	rng := rand.New(rand.NewPCG(seed, h.Sum64()))
	var out [][]int
	for left := rounds; left > 0; {
		switch {
		case left == 1:
			out = append(out, rng.Perm(g))
			left--
		case left == 3:
			out = append(out, balancedTriple(g, rng)...)
			left -= 3
		default:
			p := rng.Perm(g)
			r := slices.Clone(p)
			slices.Reverse(r)
			out = append(out, p, r)
			left -= 2
		}
	}
	return out
}

// balancedTriple is three orders of g groups in which every group's
// positions sum to the same value (for odd g; ±1 for even g).
func balancedTriple(g int, rng *rand.Rand) [][]int {
	n := g | 1 // odd: g, or g + 1 with a phantom group g
	half := n / 2
	label := rng.Perm(n) // which group sits at base index a
	orders := make([][]int, 3)
	for k := range orders {
		orders[k] = make([]int, n)
	}
	for a := range n {
		p1 := a
		p2 := (a + half) % n
		p3 := 3*half - p1 - p2
		orders[0][p1], orders[1][p2], orders[2][p3] = label[a], label[a], label[a]
	}
	for k := range orders { // drop the phantom
		orders[k] = slices.DeleteFunc(orders[k], func(i int) bool { return i >= g })
	}
	return orders
}
