package engine

import (
	"errors"
	"testing"
	"time"
)

// TestLowatAdapts: the mark follows lowatWindow of the rate, moves only
// when it is off by more than 2×, is capped, falls when the sampler sees a
// slower interval, and drop ends adapting.
func TestLowatAdapts(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name     string
		bytes    int           // read since the last look
		elapsed  time.Duration // since the last look
		set      int64         // mark in force before
		want     int64         // mark after
		wantSets int           // setsockopt calls
	}{
		{"fast: capped", 1 << 30, 100 * ms, 1, lowatMax, 1},
		{"1 Gbit/s: 1 ms of it", 125_000_000, time.Second, 1, 125_000, 1},
		{"within 2x: unchanged", 125_000_000, time.Second, 100_000, 100_000, 0},
		{"slowed 4x: follows", 125_000_000, 4 * time.Second, 125_000, 31_250, 1},
		{"nothing read: back to 1", 0, time.Second, 4096, 1, 1},
		{"slow link stays at 1", 100, time.Second, 1, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []int
			l := &lowat{setsockopt: func(v int) error { calls = append(calls, v); return nil }}
			l.set.Store(tt.set)
			start := time.Unix(0, 0)
			l.since, l.bytes = start, tt.bytes
			l.adapt(start.Add(tt.elapsed))
			if got := l.set.Load(); got != tt.want || len(calls) != tt.wantSets {
				t.Fatalf("mark %d after %d setsockopt calls %v, want %d after %d", got, len(calls), calls, tt.want, tt.wantSets)
			}
		})
	}
}

func TestLowatLowerAndDrop(t *testing.T) {
	var last int
	l := &lowat{setsockopt: func(v int) error { last = v; return nil }}
	l.set.Store(lowatMax)
	l.lower(uint64(lowatMax)*1000, 1) // still fills the mark in 1 ms: kept
	if l.set.Load() != lowatMax {
		t.Fatalf("lowered to %d at an unchanged rate", l.set.Load())
	}
	l.lower(1_000_000, 1) // 1 MB/s fills 1 kB in 1 ms
	if l.set.Load() != 1000 || last != 1000 {
		t.Fatalf("after a slow interval the mark is %d (set %d), want 1000", l.set.Load(), last)
	}
	l.drop()
	if l.set.Load() != 1 || last != 1 {
		t.Fatalf("after drop the mark is %d (set %d), want 1", l.set.Load(), last)
	}
	l.since, l.bytes = time.Unix(0, 0), 1<<30
	l.adapt(time.Unix(1, 0))
	l.observe(1 << 20)
	if l.set.Load() != 1 {
		t.Fatalf("adapting went on after drop: %d", l.set.Load())
	}
}

func TestLowatRefused(t *testing.T) {
	calls := 0
	l := &lowat{setsockopt: func(int) error { calls++; return errors.New("ENOPROTOOPT") }}
	l.set.Store(1)
	for range 3 * lowatEvery {
		l.observe(1 << 20)
	}
	if calls != 1 || l.set.Load() != 1 {
		t.Fatalf("a refused mark was tried %d times (mark %d), want once and left at 1", calls, l.set.Load())
	}
	var nilLowat *lowat
	nilLowat.observe(1) // a UDP or sending stream has none
	nilLowat.lower(1, 1)
	nilLowat.drop()
}
