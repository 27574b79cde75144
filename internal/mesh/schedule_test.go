package mesh

import (
	"math/rand/v2"
	"testing"
)

// checkRounds verifies no node is twice in a round, and returns how often
// each pair was met.
func checkRounds(t *testing.T, n int, rounds []Round) map[Pair]int {
	t.Helper()
	met := map[Pair]int{}
	for r, round := range rounds {
		busy := map[int]bool{}
		for _, p := range round {
			if p.A >= p.B || p.A < 0 || p.B >= n {
				t.Fatalf("round %d: bad pair %v for %d nodes", r, p, n)
			}
			if busy[p.A] || busy[p.B] {
				t.Fatalf("round %d: a node is in two tests: %v", r, round)
			}
			busy[p.A], busy[p.B] = true, true
			met[p]++
		}
	}
	return met
}

func TestRounds(t *testing.T) {
	for _, n := range []int{2, 3, 4, 5, 8, 9, 16, 31} {
		rounds, err := Rounds(n)
		if err != nil {
			t.Fatal(err)
		}
		wantRounds := n - 1
		if n%2 == 1 {
			wantRounds = n
		}
		if len(rounds) != wantRounds {
			t.Errorf("n=%d: %d rounds, want %d", n, len(rounds), wantRounds)
		}
		met := checkRounds(t, n, rounds)
		if len(met) != n*(n-1)/2 {
			t.Errorf("n=%d: %d distinct pairs, want %d", n, len(met), n*(n-1)/2)
		}
		for p, c := range met {
			if c != 1 {
				t.Errorf("n=%d: pair %v met %d times", n, p, c)
			}
		}
	}
	for _, n := range []int{-1, 0, 1, MaxNodes + 1} {
		if _, err := Rounds(n); err == nil {
			t.Errorf("Rounds(%d): no error", n)
		}
	}
}

func TestSample(t *testing.T) {
	for _, tc := range []struct{ n, k int }{{8, 3}, {9, 3}, {200, 5}, {4, 3}} {
		rounds, err := Sample(tc.n, tc.k, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		if len(rounds) != tc.k {
			t.Errorf("n=%d k=%d: %d rounds", tc.n, tc.k, len(rounds))
		}
		met := checkRounds(t, tc.n, rounds)
		peers := map[int]int{}
		for p, c := range met {
			if c != 1 {
				t.Errorf("pair %v met %d times", p, c)
			}
			peers[p.A]++
			peers[p.B]++
		}
		for node := range tc.n {
			if got := peers[node]; got < tc.k-tc.n%2 || got > tc.k {
				t.Errorf("n=%d k=%d: node %d met %d peers", tc.n, tc.k, node, got)
			}
		}
	}
	if _, err := Sample(8, 8, rand.New(rand.NewPCG(1, 2))); err == nil {
		t.Error("k = n: no error")
	}
	if _, err := Sample(8, 0, rand.New(rand.NewPCG(1, 2))); err == nil {
		t.Error("k = 0: no error")
	}
}

// BenchmarkRounds1000 plans a 1000-node tournament: 999 rounds, 499500 tests.
func BenchmarkRounds1000(b *testing.B) {
	for b.Loop() {
		if _, err := Rounds(1000); err != nil {
			b.Fatal(err)
		}
	}
}
