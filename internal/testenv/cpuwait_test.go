package testenv

import (
	"runtime"
	"testing"
	"time"
)

func TestCPUWaitSince(t *testing.T) {
	at := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name               string
		before, after      map[string]time.Duration
		wantWait, wantWall time.Duration
	}{
		{"one thread", map[string]time.Duration{"1": 5}, map[string]time.Duration{"1": 25}, 20, time.Second},
		{"a new thread counts all its wait", map[string]time.Duration{"1": 5}, map[string]time.Duration{"1": 5, "2": 30}, 30, time.Second},
		{"an exited thread takes its wait with it", map[string]time.Duration{"1": 5, "2": 30}, map[string]time.Duration{"1": 15}, 10, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := CPUWait{at: at, threads: tc.before}
			after := CPUWait{at: at.Add(tc.wantWall), threads: tc.after}
			wait, wall := after.Since(before)
			if wait != tc.wantWait || wall != tc.wantWall {
				t.Errorf("Since = %v, %v; want %v, %v", wait, wall, tc.wantWait, tc.wantWall)
			}
		})
	}
}

// TestReadCPUWait reads this process's threads: at least the one running
// it, and a wait that never goes back.
func TestReadCPUWait(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("schedstat is Linux's")
	}
	a, err := ReadCPUWait()
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadCPUWait()
	if err != nil {
		t.Fatal(err)
	}
	if len(a.threads) == 0 {
		t.Fatal("no threads read")
	}
	if wait, wall := b.Since(a); wait < 0 || wall < 0 {
		t.Errorf("Since = %v, %v: a wait or a time went back", wait, wall)
	}
}
