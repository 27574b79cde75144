package cli

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/cluster/lab"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runid"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/testenv"
)

func TestPrinter(t *testing.T) {
	clock := time.Date(2026, 1, 2, 10, 0, 5, 0, time.UTC)
	test := bench.Test{Group: bench.Group{Variant: "datapath=vxlan", Scenario: bench.Scenarios[3], Protocol: engine.TCP, Streams: 1}, Repeat: 2, Repeats: 5}
	ok := &runrecord.Sample{Result: &runrecord.Result{SumReceived: runrecord.Totals{BitsPerSecond: 9.412e9}}}
	bad := &runrecord.Sample{Error: "connect: connection refused"}
	steps := func(p *printer) {
		p.Note("building datapath=vxlan")
		started := bench.Progress{Test: test, Index: 3, Total: 35, Elapsed: 2 * time.Second, Remaining: 33 * time.Second}
		p.TestStarted(started)
		p.TestInterval(started, engine.Interval{Sum: engine.IntervalStream{BitsPerSecond: 8.1e9, Omitted: true}})
		p.TestInterval(started, engine.Interval{Sum: engine.IntervalStream{BitsPerSecond: 9.3e9}})
		p.TestInterval(bench.Progress{Test: test, Index: 2, Total: 35}, engine.Interval{Sum: engine.IntervalStream{BitsPerSecond: 1e6}}) // not the running test
		p.TestFinished(bench.Progress{Test: test, Index: 3, Total: 35, Elapsed: 3 * time.Second, Remaining: 32 * time.Second, Sample: ok})
		p.TestFinished(bench.Progress{Test: test, Index: 4, Total: 35, Elapsed: 64 * time.Second, Remaining: 31 * time.Second, Sample: bad})
	}

	var plain bytes.Buffer
	p := newPrinter(&plain, false)
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
	p = newPrinter(&tty, true)
	p.now = func() time.Time { return clock }
	steps(p)
	p.Close()
	out := tty.String()
	for _, w := range []string{
		"\r\x1b[Kbuilding datapath=vxlan\n",
		"\r\x1b[K[ 3/35] datapath=vxlan: pod-pod-cross tcp ×1, repeat 2/5 · 0:02 elapsed, ~0:33 left",
		"\r\x1b[K[ 3/35] datapath=vxlan: pod-pod-cross tcp ×1, repeat 2/5 · warm-up 8.1 Gbit/s · 0:02 elapsed, ~0:33 left",
		"\r\x1b[K[ 3/35] datapath=vxlan: pod-pod-cross tcp ×1, repeat 2/5 · now 9.3 Gbit/s · 0:02 elapsed, ~0:33 left",
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
	if strings.Contains(out, "1 Mbit/s") || strings.Contains(out, "9.412 Gbit/s · now") {
		t.Errorf("an interval of another test, or a live rate after the test finished:\n%q", out)
	}
}

// TestPrinterLiveRate runs a plan on the real lab (its clients report
// intervals): the live line shows each test's interval rates while it
// runs, then the test's result.
func TestPrinterLiveRate(t *testing.T) {
	testenv.MustBeRoot(t)
	vs, err := lab.Matrix{LinkRates: []uint64{1e9}}.Variants(runid.New())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	p := newPrinter(&out, true)
	_, err = bench.RunVariants(context.Background(), []bench.Variant{{Open: vs[0].Open}},
		bench.Plan{Repeats: 1, Scenarios: []string{"pod-pod-cross"}, Order: bench.Sequential}, bench.Options{Events: p})
	p.Close()
	if err != nil {
		t.Fatal(err)
	}
	s := out.String()
	last := -1
	for _, w := range []string{
		"[1/2] node-node tcp ×1, repeat 1/1 · now ",
		"[1/2] node-node tcp ×1, repeat 1/1: ",
		"[2/2] pod-pod-cross tcp ×1, repeat 1/1 · now ",
		"[2/2] pod-pod-cross tcp ×1, repeat 1/1: ",
	} {
		i := strings.Index(s[last+1:], "\r\x1b[K"+w)
		if i < 0 {
			t.Fatalf("live output lacks %q after position %d:\n%q", w, last, s)
		}
		last += 1 + i
	}
	if !regexp.MustCompile(`· now \d+\.\d+ [GM]bit/s ·`).MatchString(s) {
		t.Errorf("no live rate at a 1 Gbit/s link:\n%q", s)
	}
}

func TestClock(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0:00", 59 * time.Second: "0:59", 61 * time.Second: "1:01", 3725 * time.Second: "1:02:05", -time.Second: "0:00"} {
		if got := clock(d); got != want {
			t.Errorf("clock(%v) = %q, want %q", d, got, want)
		}
	}
}
