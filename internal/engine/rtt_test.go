package engine

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/iperf3"
	"github.com/cnibench/cnibench/internal/testenv"
)

// checkRTT checks a ConnectRTT whose probes all connected.
func checkRTT(t *testing.T, r *RTT, probes int) {
	t.Helper()
	if r == nil {
		t.Fatal("no ConnectRTT")
	}
	if r.Probes != probes || r.Failed != 0 || len(r.SamplesUs) != probes {
		t.Fatalf("probes %d failed %d samples %d, want %d/0/%d", r.Probes, r.Failed, len(r.SamplesUs), probes, probes)
	}
	for i, s := range r.SamplesUs {
		if s <= 0 {
			t.Errorf("sample %d is %v µs", i, s)
		}
	}
	if !(r.MinUs > 0 && r.MinUs <= r.MedianUs && r.MedianUs <= r.P90Us && r.P90Us <= r.MaxUs) {
		t.Errorf("figures out of order: min %v median %v p90 %v max %v", r.MinUs, r.MedianUs, r.P90Us, r.MaxUs)
	}
	t.Logf("%s", strings.TrimSpace(FormatConnectRTT(r)))
}

// TestConnectRTTLoopback probes our own server, then runs the test.
func TestConnectRTTLoopback(t *testing.T) {
	// The probes are quiet on the server: nothing at Warn or above.
	warns := &levelCounter{min: slog.LevelWarn}
	addr := startServer(t, &Server{Limits: Limits{MaxSetupsPerSource: 1}, Logger: slog.New(warns)})
	t.Cleanup(func() {
		if n := warns.count.Load(); n > 0 {
			t.Errorf("the server logged %d records at Warn or above", n)
		}
	})
	// Warm up: the first UDP test opens the server's shared UDP socket and
	// its goroutine for good.
	if _, err := (&Client{}).Run(context.Background(), addr, Spec{Protocol: UDP, Blocks: 100, Length: 1460, Rate: 100e6}); err != nil {
		t.Fatalf("warm-up UDP test: %v", err)
	}
	for _, tc := range []struct {
		name string
		spec Spec
	}{
		{"tcp", Spec{Duration: time.Second, RTTProbes: 20}},
		{"udp", Spec{Protocol: UDP, Duration: time.Second, Rate: 10e6, RTTProbes: 5}},
		{"one", Spec{Duration: time.Second, RTTProbes: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := takeBaseline(t)
			var seen *RTT
			c := &Client{OnConnectRTT: func(r *RTT) { seen = r }}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res, err := c.Run(ctx, addr, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			checkRTT(t, res.ConnectRTT, tc.spec.RTTProbes)
			if seen != res.ConnectRTT {
				t.Error("OnConnectRTT did not get the result's ConnectRTT")
			}
			if res.SumReceived.Bytes == 0 || res.Goodput() <= 0 {
				t.Errorf("the test measured nothing: %+v", res.SumReceived)
			}
			base.settle(t)
		})
	}
	// Without probes there is no ConnectRTT and no callback.
	c := &Client{OnConnectRTT: func(*RTT) { t.Error("OnConnectRTT called without probes") }}
	res, err := c.Run(context.Background(), addr, Spec{Bytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if res.ConnectRTT != nil {
		t.Errorf("ConnectRTT %+v without probes", res.ConnectRTT)
	}
}

// levelCounter is a slog.Handler that counts the records at min or above.
type levelCounter struct {
	min   slog.Level
	count atomic.Int64
}

func (h *levelCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= h.min }
func (h *levelCounter) Handle(context.Context, slog.Record) error {
	h.count.Add(1)
	return nil
}
func (h *levelCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *levelCounter) WithGroup(string) slog.Handler      { return h }

// TestConnectRTTIperf3Server: a stock iperf3 server survives the probes
// (each is a connection that closes before its cookie) and runs the test.
func TestConnectRTTIperf3Server(t *testing.T) {
	bin := testenv.MustHaveIperf3(t)
	port := freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out strings.Builder
	// Not -1: iperf3 -s -1 would take the first probe for its one test.
	cmd := exec.CommandContext(ctx, bin, "-s", "-B", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	waitListening(t, addr)
	res, err := (&Client{}).Run(ctx, addr, Spec{Duration: time.Second, RTTProbes: 20})
	if err != nil {
		t.Fatalf("test after probes: %v\niperf3:\n%s", err, out.String())
	}
	checkRTT(t, res.ConnectRTT, 20)
	if res.SumReceived.Bytes == 0 {
		t.Errorf("the test measured nothing: %+v", res.SumReceived)
	}
	if cmd.ProcessState != nil {
		t.Fatalf("iperf3 exited:\n%s", out.String())
	}
	// And another, probed again, once done with the first (iperf3 may
	// say busy for a moment after a test).
	for i := 0; ; i++ {
		res, err = (&Client{}).Run(ctx, addr, Spec{Bytes: 1 << 20, RTTProbes: 5})
		if errors.Is(err, ErrBusy) && i < 50 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatalf("second test: %v\niperf3:\n%s", err, out.String())
		}
		break
	}
	if res.ConnectRTT == nil || len(res.ConnectRTT.SamplesUs) == 0 {
		t.Errorf("second test: ConnectRTT %+v", res.ConnectRTT)
	}
}

// waitListening waits until something accepts on addr, without connecting
// to it: it watches the listening socket appear by trying to bind the port.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	for range 250 {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return // taken: the server listens
		}
		ln.Close()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

// TestConnectRTTClosedPort: every probe fails quickly, the probing gives
// up, and the test's error is the usual refusal.
func TestConnectRTTClosedPort(t *testing.T) {
	addr := closedPort(t)
	var seen *RTT
	c := &Client{OnConnectRTT: func(r *RTT) { seen = r }}
	start := time.Now()
	_, err := c.Run(context.Background(), addr, Spec{Duration: time.Second, RTTProbes: 20})
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "connect to "+addr) {
		t.Errorf("error %v, want the control connection's refusal", err)
	}
	if took > time.Second {
		t.Errorf("took %v", took)
	}
	if seen == nil || seen.Probes == 0 || seen.Failed != seen.Probes || len(seen.SamplesUs) != 0 || seen.MedianUs != 0 {
		t.Fatalf("ConnectRTT %+v, want every probe failed", seen)
	}
	if seen.Probes != rttGiveUp {
		t.Errorf("%d probes, want to give up after %d failures in a row", seen.Probes, rttGiveUp)
	}
	if got := FormatConnectRTT(seen); got != "Connect RTT: 3 probes, all failed\n" {
		t.Errorf("line %q", got)
	}
}

// TestConnectRTTCancel: cancelling during the probes stops them promptly
// and the test does not start.
func TestConnectRTTCancel(t *testing.T) {
	var mu sync.Mutex
	tests := 0
	srv := &Server{OnTest: func(*ServerTest) { mu.Lock(); tests++; mu.Unlock() }}
	addr := startServer(t, srv)
	base := takeBaseline(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var seen *RTT
	c := &Client{OnConnectRTT: func(r *RTT) { seen = r }}
	start := time.Now()
	_, err := c.Run(ctx, addr, Spec{Duration: time.Second, RTTProbes: MaxRTTProbes})
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "interrupted") {
		t.Errorf("error %v, want the interruption", err)
	}
	if took > 500*time.Millisecond {
		t.Errorf("took %v after a 100ms deadline", took)
	}
	if seen == nil || seen.Probes == 0 || seen.Probes >= MaxRTTProbes || len(seen.SamplesUs) == 0 {
		t.Errorf("ConnectRTT %+v, want some probes before the deadline", seen)
	}
	mu.Lock()
	defer mu.Unlock()
	if tests != 0 {
		t.Errorf("the server saw %d tests", tests)
	}
	base.settle(t)
}

func TestRTTSummarize(t *testing.T) {
	for _, tc := range []struct {
		samples                []float64
		min, median, p90, max_ float64
	}{
		{nil, 0, 0, 0, 0},
		{[]float64{7}, 7, 7, 7, 7},
		{[]float64{9, 3}, 3, 6, 9, 9},
		{[]float64{5, 1, 3}, 1, 3, 5, 5},
		{[]float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 1, 5.5, 9, 10},
		// 20 samples: rank ⌈18⌉ = 18, not 19 from 0.9·20 rounding up.
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, 1, 10.5, 18, 20},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 1, 6, 10, 11},
	} {
		r := &RTT{SamplesUs: slices.Clone(tc.samples)}
		r.summarize()
		if r.MinUs != tc.min || r.MedianUs != tc.median || r.P90Us != tc.p90 || r.MaxUs != tc.max_ {
			t.Errorf("%v: min %v median %v p90 %v max %v, want %v %v %v %v", tc.samples, r.MinUs, r.MedianUs, r.P90Us, r.MaxUs, tc.min, tc.median, tc.p90, tc.max_)
		}
		if !slices.Equal(r.SamplesUs, tc.samples) {
			t.Errorf("summarize reordered the samples: %v", r.SamplesUs)
		}
	}
}

func TestNormalizeRTTProbes(t *testing.T) {
	for _, tc := range []struct {
		probes int
		ok     bool
	}{{0, true}, {1, true}, {MaxRTTProbes, true}, {-1, false}, {MaxRTTProbes + 1, false}} {
		_, err := Spec{RTTProbes: tc.probes}.Normalize()
		if (err == nil) != tc.ok {
			t.Errorf("RTTProbes %d: err %v", tc.probes, err)
		}
		if err != nil && !strings.Contains(err.Error(), "0..1000") {
			t.Errorf("RTTProbes %d: error %q does not name the range", tc.probes, err)
		}
	}
}

// TestRTTProbesNotSent: the probes are the client's business, not an
// iperf3 parameter, and -J stays iperf3's schema.
func TestRTTProbesNotSent(t *testing.T) {
	spec, _ := Spec{Duration: time.Second}.Normalize()
	with := spec
	with.RTTProbes = 20
	if a, b := toParams(spec), toParams(with); !paramsEqual(t, a, b) {
		t.Errorf("params differ with RTTProbes")
	}
	r := fixedResult(false)
	plain, err := reportWithoutHost(r)
	if err != nil {
		t.Fatal(err)
	}
	r.ConnectRTT = fixedRTT()
	r.Spec.RTTProbes = r.ConnectRTT.Probes
	probed, err := reportWithoutHost(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(plain) != string(probed) {
		t.Errorf("-J changed with ConnectRTT:\n%s", probed)
	}
}

func paramsEqual(t *testing.T, a, b iperf3.Params) bool {
	t.Helper()
	var ja, jb bytes.Buffer
	if err := iperf3.WriteMessage(&ja, a); err != nil {
		t.Fatal(err)
	}
	if err := iperf3.WriteMessage(&jb, b); err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja.Bytes(), jb.Bytes())
}

// fixedRTT is a plausible ConnectRTT with fixed numbers, one probe failed.
func fixedRTT() *RTT {
	r := &RTT{Probes: 6, Failed: 1, SamplesUs: []float64{35, 21, 60, 33, 48}}
	r.summarize()
	return r
}
