package engine

import (
	"testing"
	"time"
)

// TestSysmonPacer: a loop on a blocking socket yields at its first
// transaction and then once per schedYield of the times it is given,
// always within the runtime monitor's 10 ms.
func TestSysmonPacer(t *testing.T) {
	if schedYield <= 0 || schedYield >= 10*time.Millisecond {
		t.Fatalf("schedYield %v: want above 0 and below the monitor's 10 ms", schedYield)
	}
	t0 := time.Unix(1000, 0)
	var p sysmonPacer
	for _, c := range []struct {
		at    time.Duration
		yield bool
	}{
		{0, true},
		{time.Microsecond, false},
		{schedYield - time.Nanosecond, false},
		{schedYield, true},
		{schedYield + time.Millisecond, false},
		{3 * schedYield, true}, // a late one yields once, not once per period missed
		{3*schedYield + time.Microsecond, false},
	} {
		if got := p.pace(t0.Add(c.at)); got != c.yield {
			t.Errorf("pace at %v: yielded %v, want %v", c.at, got, c.yield)
		}
	}
}
