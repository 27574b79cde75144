package engine

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// soakTests is how many tests TestSoak runs against one server, as the
// issue asks (docs/reliability.md). Each is bounded by bytes or blocks, so
// the whole soak takes tens of seconds, not 1000 test durations.
const soakTests = 1000

// Growth bounds after soakTests tests: generous, so that only a leak (a
// goroutine, socket or buffer per test) can cross them.
const (
	soakFDSlack  = 4        // descriptors the runtime or a late close may hold
	soakRSSBound = 32 << 20 // bytes of resident memory after GC
)

// skipLong skips the long reliability tests under -short and -race.
func skipLong(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("long reliability test; runs without -short")
	}
	if raceDetector {
		t.Skip("measures resources and goodput, which the race detector distorts")
	}
}

// TestSoak runs soakTests consecutive tests (TCP, reverse, two streams,
// UDP) against one server and checks that its file descriptors,
// goroutines and resident memory come back to where they started.
func TestSoak(t *testing.T) {
	skipLong(t)
	addr := startServer(t, &Server{Logger: testLogger(t)})
	specs := []Spec{
		{Bytes: 256 << 10},
		{Bytes: 256 << 10, Reverse: true},
		{Bytes: 256 << 10, Streams: 2},
		{Protocol: UDP, Blocks: 20, Length: 1460, Rate: 100e6},
		{Protocol: UDP, Blocks: 20, Length: 1460, Rate: 100e6, Reverse: true},
	}
	udpShort := 0 // UDP tests whose receiver counted less than was sent
	run := func(i int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		spec := specs[i%len(specs)]
		res, err := (&Client{}).Run(ctx, addr, spec)
		if err != nil {
			t.Fatalf("test %d (%s, reverse %v): %v", i, spec.Protocol, spec.Reverse, err)
		}
		// A bounded TCP test drains its receiver; a bounded UDP test does
		// not (as iperf3): datagrams still queued at TEST_END go uncounted.
		switch {
		case spec.Protocol == TCP && res.SumReceived.Bytes != res.SumSent.Bytes:
			t.Fatalf("test %d (TCP, reverse %v): sent %d B, received %d B", i, spec.Reverse, res.SumSent.Bytes, res.SumReceived.Bytes)
		case spec.Protocol == UDP && res.SumReceived.Bytes < res.SumSent.Bytes:
			udpShort++
		}
	}
	// Warm up: the first UDP test opens the server's shared UDP socket for
	// good, and the runtime starts its helpers and sizes its heap.
	for i := range 2 * len(specs) {
		run(i)
	}
	start := takeUsage(t)
	began := time.Now()
	for i := range soakTests {
		run(i)
	}
	elapsed := time.Since(began)
	end := settleUsage(t, start)
	t.Logf("%d tests in %v: before %v; after %v", soakTests, elapsed.Round(time.Millisecond), start, end)
	t.Logf("%d UDP tests of %d blocks ended with datagrams still queued at the receiver", udpShort, specs[3].Blocks)
	if end.fds > start.fds+soakFDSlack {
		t.Errorf("file descriptors grew from %d to %d over %d tests\n%s", start.fds, end.fds, soakTests, fdList())
	}
	if end.goroutines > start.goroutines {
		t.Errorf("goroutines grew from %d to %d over %d tests", start.goroutines, end.goroutines, soakTests)
	}
	if end.rss > start.rss+soakRSSBound {
		t.Errorf("resident memory grew by %.1f MiB over %d tests (bound %d MiB)",
			float64(end.rss-start.rss)/(1<<20), soakTests, soakRSSBound>>20)
	}
}

// usage is what the process holds at one moment.
type usage struct {
	fds, goroutines int
	rss             int64 // bytes, after a GC that returned memory to the OS
}

func takeUsage(t *testing.T) usage {
	t.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	return usage{fds: openFDs(t), goroutines: runtime.NumGoroutine(), rss: residentBytes(t)}
}

// settleUsage waits up to 2 s for descriptors and goroutines to come back
// to start (closes and goroutine exits trail a test's end), then measures.
func settleUsage(t *testing.T, start usage) usage {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		u := takeUsage(t)
		if (u.fds <= start.fds && u.goroutines <= start.goroutines) || time.Now().After(deadline) {
			return u
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// residentBytes is the process's resident set size (/proc/self/statm).
func residentBytes(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Fatalf("read RSS: %v", err)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		t.Fatalf("read RSS: /proc/self/statm is %q", b)
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatalf("read RSS: %v", err)
	}
	return pages * int64(os.Getpagesize())
}

// String is for failure messages.
func (u usage) String() string {
	return fmt.Sprintf("%d fds, %d goroutines, %.1f MiB RSS", u.fds, u.goroutines, float64(u.rss)/(1<<20))
}
