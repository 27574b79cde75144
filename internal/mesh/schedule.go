// Package mesh plans and judges a whole-cluster measurement: every node
// pair, scheduled so that no node is in two tests at once, and a robust
// score per node that names the node that is slow with its evidence.
package mesh

import (
	"fmt"
	"math/rand/v2"
)

// MaxNodes bounds a plan: a full tournament of n nodes has n(n−1)/2 tests.
const MaxNodes = 5000

// Pair is one test between two nodes (indices into the caller's node list),
// A < B. Which end sends is the caller's choice.
type Pair struct{ A, B int }

// Round is a set of pairs that share no node, so they run at once.
type Round []Pair

// Rounds is a round-robin tournament by the circle method: every unordered
// pair of n nodes exactly once, no node twice in a round. n−1 rounds for
// even n; n for odd n, where each node rests in one round.
func Rounds(n int) ([]Round, error) {
	if n < 2 || n > MaxNodes {
		return nil, fmt.Errorf("mesh of %d nodes: use 2 to %d", n, MaxNodes)
	}
	m := n
	if m%2 == 1 {
		m++ // a ghost node: its partner rests
	}
	// Node m−1 stays put; the others turn around the circle one step per
	// round. In round r, position i faces position m−1−i.
	circle := make([]int, m)
	rounds := make([]Round, 0, m-1)
	for r := range m - 1 {
		circle[0] = m - 1
		for i := 1; i < m; i++ {
			circle[i] = (r + i - 1) % (m - 1)
		}
		round := make(Round, 0, m/2)
		for i := range m / 2 {
			a, b := circle[i], circle[m-1-i]
			if a >= n || b >= n {
				continue // the ghost's partner rests
			}
			if a > b {
				a, b = b, a
			}
			round = append(round, Pair{a, b})
		}
		rounds = append(rounds, round)
	}
	return rounds, nil
}

// Sample measures each node against k peers instead of all: k rounds of
// the full tournament, chosen at random after the nodes are shuffled, so
// every node meets k distinct peers (k−1 when it rests in one, for odd n)
// in k rounds of n/2 tests. What it may miss: a fault between two nodes
// that never meet.
func Sample(n, k int, rng *rand.Rand) ([]Round, error) {
	all, err := Rounds(n)
	if err != nil {
		return nil, err
	}
	if k < 1 || k > len(all) {
		return nil, fmt.Errorf("%d peers per node out of range: use 1 to %d for %d nodes (%d is every pair)", k, len(all), n, len(all))
	}
	perm := rng.Perm(n)
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	picked := all[:k]
	for _, round := range picked {
		for i, p := range round {
			a, b := perm[p.A], perm[p.B]
			if a > b {
				a, b = b, a
			}
			round[i] = Pair{a, b}
		}
	}
	return picked, nil
}
