package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runrecord"
)

func TestPrinter(t *testing.T) {
	clock := time.Date(2026, 1, 2, 10, 0, 5, 0, time.UTC)
	test := Test{Group: Group{Variant: "datapath=vxlan", Scenario: Scenarios[3], Protocol: engine.TCP, Streams: 1}, Repeat: 2, Repeats: 5}
	ok := &runrecord.Sample{Result: &engine.Result{SumReceived: engine.Totals{BitsPerSecond: 9.412e9}}}
	bad := &runrecord.Sample{Error: "connect: connection refused"}
	steps := func(p *Printer) {
		p.Note("building datapath=vxlan")
		p.TestStarted(Progress{Test: test, Index: 3, Total: 35, Elapsed: 2 * time.Second, Remaining: 33 * time.Second})
		p.TestFinished(Progress{Test: test, Index: 3, Total: 35, Elapsed: 3 * time.Second, Remaining: 32 * time.Second, Sample: ok})
		p.TestFinished(Progress{Test: test, Index: 4, Total: 35, Elapsed: 64 * time.Second, Remaining: 31 * time.Second, Sample: bad})
	}

	var plain bytes.Buffer
	p := NewPrinter(&plain, false)
	p.now = func() time.Time { return clock }
	steps(p)
	p.Close()
	want := `10:00:05 building datapath=vxlan
10:00:05 [ 3/35] datapath=vxlan pod-pod-cross tcp ×1 #2/5: 9.412 Gbit/s (elapsed 0:03, ~0:32 left)
10:00:05 [ 4/35] datapath=vxlan pod-pod-cross tcp ×1 #2/5: FAILED: connect: connection refused (elapsed 1:04, ~0:31 left)
`
	if plain.String() != want {
		t.Errorf("plain progress:\n%s\nwant:\n%s", plain.String(), want)
	}

	var tty bytes.Buffer
	p = NewPrinter(&tty, true)
	p.now = func() time.Time { return clock }
	steps(p)
	p.Close()
	out := tty.String()
	for _, w := range []string{
		"\r\x1b[Kbuilding datapath=vxlan\n",
		"\r\x1b[K[ 3/35] datapath=vxlan: pod-pod-cross tcp ×1, repeat 2/5 · 0:02 elapsed, ~0:33 left",
		"\r\x1b[K[ 3/35] datapath=vxlan: pod-pod-cross tcp ×1, repeat 2/5: 9.412 Gbit/s · 0:03 elapsed, ~0:32 left",
		"\r\x1b[Kdatapath=vxlan pod-pod-cross tcp ×1 #2/5 failed: connect: connection refused\n",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("live output lacks %q:\n%q", w, out)
		}
	}
	if !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("Close leaves the live line: %q", out)
	}
}

func TestFormatRate(t *testing.T) {
	for v, want := range map[float64]string{9.4123e9: "9.412 Gbit/s", 955.3e6: "955.3 Mbit/s", 12.5e6: "12.50 Mbit/s", 0: "0.000 bit/s", 500: "500.0 bit/s"} {
		if got := FormatRate(v); got != want {
			t.Errorf("FormatRate(%g) = %q, want %q", v, got, want)
		}
	}
}

func TestClock(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0:00", 59 * time.Second: "0:59", 61 * time.Second: "1:01", 3725 * time.Second: "1:02:05", -time.Second: "0:00"} {
		if got := clock(d); got != want {
			t.Errorf("clock(%v) = %q, want %q", d, got, want)
		}
	}
}
