package nodecpu

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

const stat = `cpu  1131078 170575 531708 581105 4421 0 99299 7 0 0
cpu0 563020 84595 263529 296546 946 0 50416 3 0 0
cpu1 568058 85980 268178 284558 3475 0 48882 4 0 0
intr 123 0 0
ctxt 456
btime 1700000000
`

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Times
		err      string
	}{
		{"this kernel", stat, Times{User: 1131078, Nice: 170575, System: 531708, Idle: 581105, IOWait: 4421, SoftIRQ: 99299, Steal: 7, CPUs: 2}, ""},
		{"old kernel: four fields", "cpu 1 2 3 4\ncpu0 1 2 3 4\n", Times{User: 1, Nice: 2, System: 3, Idle: 4, CPUs: 1}, ""},
		{"no aggregate", "cpu0 1 2 3 4\n", Times{}, "no aggregate"},
		{"no cpuN", "cpu 1 2 3 4\n", Times{}, "no cpuN"},
		{"too short", "cpu 1 2\ncpu0 1 2\n", Times{}, "at least 4"},
		{"not a number", "cpu 1 x 3 4\ncpu0 1 2 3 4\n", Times{}, "not a tick count"},
		{"negative", "cpu 1 -2 3 4\ncpu0 1 2 3 4\n", Times{}, "not a tick count"},
		{"two aggregates", "cpu 1 2 3 4\ncpu 1 2 3 4\ncpu0 1 2 3 4\n", Times{}, "two aggregate"},
		{"empty", "", Times{}, "no aggregate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Parse = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestSince(t *testing.T) {
	before := Times{User: 100, Nice: 10, System: 50, Idle: 1000, IOWait: 5, SoftIRQ: 20, CPUs: 2}
	after := Times{User: 200, Nice: 10, System: 100, Idle: 1050, IOWait: 5, SoftIRQ: 70, CPUs: 2}
	u, err := after.Since(before, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if u.User != 1 || u.System != 0.5 || u.SoftIRQ != 0.5 || u.Idle != 0.5 || u.Busy() != 2 {
		t.Errorf("usage %+v", u)
	}
	if f := u.BusyFraction(); math.Abs(f-0.8) > 1e-12 {
		t.Errorf("busy fraction %v, want 0.8", f)
	}
	if g, ok := u.PerGbit(4e9); !ok || g != 0.5 {
		t.Errorf("per Gbit %v %v, want 0.5", g, ok)
	}
	if _, ok := u.PerGbit(0); ok {
		t.Error("per Gbit of nothing moved: ok")
	}
	// iowait stepping back is no error; a busy counter going back is.
	back := after
	back.IOWait = 0
	back.Idle = before.Idle
	if u, err := back.Since(before, time.Second); err != nil || u.Idle != 0 {
		t.Errorf("iowait back: %+v, %v", u, err)
	}
	back = after
	back.SoftIRQ = 1
	if _, err := back.Since(before, time.Second); err == nil {
		t.Error("softirq went back: no error")
	}
	back = after
	back.CPUs = 4
	if _, err := back.Since(before, time.Second); err == nil {
		t.Error("CPUs changed: no error")
	}
}

// TestRead reads this machine's /proc/stat twice around some work.
func TestRead(t *testing.T) {
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skip("no /proc/stat: not Linux")
	}
	a, err := Read()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for x := 0; time.Since(start) < 50*time.Millisecond; x++ {
		_ = math.Sqrt(float64(x))
	}
	b, err := Read()
	if err != nil {
		t.Fatal(err)
	}
	u, err := b.Since(a, time.Since(start))
	if err != nil {
		t.Fatal(err)
	}
	if u.CPUs < 1 || u.BusyFraction() < 0 || u.BusyFraction() > 1 {
		t.Errorf("usage %+v", u)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(stat))
	f.Add([]byte("cpu 1 2 3 4\ncpu0 1 2 3 4\n"))
	f.Add([]byte("cpu\ncpu0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Parse(b)
		if err == nil && got.CPUs < 1 {
			t.Errorf("parsed %+v with no CPUs", got)
		}
	})
}
