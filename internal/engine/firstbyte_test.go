package engine

import (
	"testing"
	"time"
)

// TestStartAtFirstByte: a receiver's measured time runs from its first byte
// to its last, not from TEST_RUNNING, unless a warm-up was omitted or the
// side also sends.
func TestStartAtFirstByte(t *testing.T) {
	t0 := time.Unix(1000, 0)
	end := t0.Add(time.Second)
	tests := []struct {
		name      string
		omit      time.Duration
		sender    bool
		firstByte time.Time // zero: none arrived
		want      time.Time
	}{
		{"receiver: from the first byte", 0, false, t0.Add(30 * time.Millisecond), t0.Add(30 * time.Millisecond)},
		{"no byte arrived", 0, false, time.Time{}, t0},
		{"after an omitted warm-up data already flows", time.Second, false, t0.Add(30 * time.Millisecond), t0},
		{"a sending side keeps the test's clock", 0, true, t0.Add(30 * time.Millisecond), t0},
		{"a byte before the start (not possible) is ignored", 0, false, t0.Add(-time.Millisecond), t0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &testRun{spec: Spec{Omit: tt.omit}, streams: []*stream{{sender: tt.sender}}, dataStart: t0}
			if !tt.firstByte.IsZero() {
				r.received(func() time.Time { return tt.firstByte })
				r.received(func() time.Time { t.Fatal("the clock was read after the first byte"); return time.Time{} })
			}
			r.startAtFirstByte(end)
			if !r.dataStart.Equal(tt.want) {
				t.Errorf("measured start %v, want %v", r.dataStart.Sub(t0), tt.want.Sub(t0))
			}
		})
	}
}
