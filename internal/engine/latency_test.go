package engine

import (
	"context"
	"errors"
	"io"
	"net"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/testenv"
)

// TestLatencyLoopback runs every latency mode, closed and open loop,
// against an in-process server and checks the result is consistent.
func TestLatencyLoopback(t *testing.T) {
	addr := startServer(t, &Server{})
	for _, tc := range []struct {
		name string
		spec LatencySpec
	}{
		{"rr", LatencySpec{Mode: RR, Transactions: 2000}},
		{"rr-sizes", LatencySpec{Mode: RR, Transactions: 200, RequestSize: 100 << 10, ResponseSize: 3}},
		{"rr-duration", LatencySpec{Mode: RR, Duration: 300 * time.Millisecond}},
		{"rr-open", LatencySpec{Mode: RR, Transactions: 500, Rate: 5000}},
		{"crr", LatencySpec{Mode: CRR, Transactions: 300}},
		{"crr-open", LatencySpec{Mode: CRR, Transactions: 300, Rate: 2000}},
		{"udp-rr", LatencySpec{Mode: UDPRR, Transactions: 2000}},
		{"udp-rr-sizes", LatencySpec{Mode: UDPRR, Transactions: 200, RequestSize: 16, ResponseSize: 1400}},
		{"udp-rr-open", LatencySpec{Mode: UDPRR, Transactions: 500, Rate: 5000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := (&Client{}).RunLatency(ctx, addr, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d transactions (%.0f/s), errors %d lost %d dup %d reord %d; µs min %.1f p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f",
				res.Transactions, res.TransactionsPerSecond, res.Errors, res.Lost, res.Duplicated, res.Reordered,
				res.MinUs, res.P50Us, res.P90Us, res.P99Us, res.P999Us, res.MaxUs)
			accounted := res.Transactions + res.Errors + res.Lost
			if tc.spec.Transactions > 0 && accounted != tc.spec.Transactions {
				t.Errorf("%d transactions + %d errors + %d lost, asked %d", res.Transactions, res.Errors, res.Lost, tc.spec.Transactions)
			}
			if res.Transactions == 0 || res.Errors > 0 || res.Duplicated > 0 {
				t.Errorf("want only completed transactions: %+v", res)
			}
			if !(res.MinUs > 0 && res.MinUs <= res.P50Us && res.P50Us <= res.P90Us && res.P90Us <= res.P99Us &&
				res.P99Us <= res.P999Us && res.P999Us <= res.MaxUs && res.MeanUs >= res.MinUs && res.MeanUs <= res.MaxUs) {
				t.Errorf("figures out of order: %+v", res)
			}
			h, err := res.DecodeHistogram()
			if err != nil {
				t.Fatal(err)
			}
			if h.TotalCount() != res.Transactions || !strings.HasPrefix(res.Histogram, "HISTFAAA") {
				t.Errorf("histogram holds %d values (%.12s…), result says %d", h.TotalCount(), res.Histogram, res.Transactions)
			}
			if res.Seconds <= 0 || res.TransactionsPerSecond <= 0 {
				t.Errorf("no measured time: %+v", res)
			}
		})
	}
}

// TestLatencyNoAllocs: an rr transaction and its recording allocate nothing.
func TestLatencyNoAllocs(t *testing.T) {
	addr := startServer(t, &Server{})
	lt := &latencyTest{c: &Client{}, address: addr, spec: mustNormalize(t, LatencySpec{})}
	conn, _, err := lt.hello(context.Background(), RR)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	x, h := newRRConn(conn, lt.spec), newLatencyHistogram()
	sock, stopWatch, err := x.block() // the closed loop's blocking socket, as runRR uses it
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	defer stopWatch()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	allocs := testing.AllocsPerRun(1000, func() {
		t0 := time.Now()
		if err := x.transact(t0); err != nil {
			t.Fatal(err)
		}
		record(h, time.Since(t0))
	})
	if allocs != 0 {
		t.Errorf("an rr transaction allocates %.1f times", allocs)
	}
}

func BenchmarkRR(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = (&Server{}).Serve(ctx, ln) }()
	lt := &latencyTest{c: &Client{}, address: ln.Addr().String(), spec: mustNormalize(b, LatencySpec{})}
	conn, _, err := lt.hello(ctx, RR)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	x, h := newRRConn(conn, lt.spec), newLatencyHistogram()
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		if err := x.transact(t0); err != nil {
			b.Fatal(err)
		}
		record(h, time.Since(t0))
	}
}

func mustNormalize(t testing.TB, s LatencySpec) LatencySpec {
	t.Helper()
	s, err := s.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestLatencyStockIperf3: a stock iperf3 server asked for a latency test
// gives the clear error, quickly, whether it is idle or busy.
func TestLatencyStockIperf3(t *testing.T) {
	bin := testenv.MustHaveIperf3(t)
	port := freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-s", "-B", "127.0.0.1", "-p", strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	waitListening(t, addr)
	for _, mode := range []LatencyMode{RR, CRR, UDPRR} {
		start := time.Now()
		_, err := (&Client{HandshakeTimeout: 5 * time.Second}).RunLatency(ctx, addr, LatencySpec{Mode: mode, Transactions: 10})
		took := time.Since(start)
		if !errors.Is(err, errStockIperf3) || !strings.Contains(err.Error(), "cnibench server") {
			t.Errorf("%s against iperf3 -s: err = %v, want the stock-iperf3 error", mode, err)
		}
		if took > 3*time.Second {
			t.Errorf("%s: the error took %v", mode, took)
		}
		t.Logf("%s: %v (after %v)", mode, err, took.Round(time.Millisecond))
		time.Sleep(100 * time.Millisecond) // iperf3 reopens its listener after a failed test
	}
}

// TestLatencyCancel: cancelling the context stops each mode promptly.
func TestLatencyCancel(t *testing.T) {
	addr := startServer(t, &Server{})
	for _, spec := range []LatencySpec{
		{Mode: RR}, {Mode: CRR}, {Mode: UDPRR}, {Mode: RR, Rate: 1000}, {Mode: CRR, Rate: 1000}, {Mode: UDPRR, Rate: 1000},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		start := time.Now()
		_, err := (&Client{}).RunLatency(ctx, addr, spec)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s rate %v: err = %v, want context.Canceled", spec.Mode, spec.Rate, err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("%s rate %v: stopped after %v", spec.Mode, spec.Rate, took)
		}
		cancel()
	}
}

// TestLatencyServerLimits: a stalled client keeps others served, garbage
// hellos are refused and closed, the per-address limit holds.
func TestLatencyServerLimits(t *testing.T) {
	addr := startServer(t, &Server{Limits: Limits{MaxLatencyPerSource: 3}, Logger: testLogger(t)})
	base := takeBaseline(t)
	// A client that stalls in the middle of a request.
	stalled, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	h := latHello{mode: RR, ack: true, request: 100, response: 1}
	if _, err := stalled.Write(append(h.append(nil), make([]byte, 50)...)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(stalled, make([]byte, latAckSize)); err != nil {
		t.Fatal(err)
	}
	if _, err := (&Client{}).RunLatency(context.Background(), addr, LatencySpec{Transactions: 100}); err != nil {
		t.Errorf("rr beside a stalled client: %v", err)
	}
	// Garbage after the magic: refused with an ack that says so, then closed.
	for _, bad := range [][]byte{
		append([]byte("CNIBENCH-LAT/9 r"), make([]byte, 21)...),
		append([]byte("CNIBENCH-LAT/1 x"), make([]byte, 21)...),
		latHello{mode: RR, ack: true, request: MaxLatencySize + 1, response: 1}.append(nil),
		latHello{mode: UDPRR, ack: true, request: 15, response: 16}.append(nil),
		append(latHello{mode: RR}.append(nil)[:36], 1), // padding not zero
	} {
		ack, err := rawExchange(addr, bad)
		if err != nil || ack.ok || ack.code != latRefusedBadHello {
			t.Errorf("hello %q: ack %+v, err %v; want refused as a bad hello", bad, ack, err)
		}
	}
	// Two more connections reach the limit of 3 with the stalled one.
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		if _, err := c.Write(latHello{mode: RR, ack: true, request: 1, response: 1}.append(nil)); err != nil {
			t.Fatal(err)
		}
		var b [latAckSize]byte
		if _, err := io.ReadFull(c, b[:]); err != nil {
			t.Fatal(err)
		}
	}
	_, err = (&Client{}).RunLatency(context.Background(), addr, LatencySpec{Transactions: 10})
	if err == nil || !strings.Contains(err.Error(), "3 latency connections") {
		t.Errorf("a fourth connection: err = %v, want refused at the limit", err)
	}
	stalled.Close()
	for _, c := range held {
		c.Close()
	}
	base.settle(t)
}

// rawExchange sends b as a hello and reads the server's ack.
func rawExchange(addr string, b []byte) (latAck, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return latAck{}, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(b); err != nil {
		return latAck{}, err
	}
	var buf [latAckSize]byte
	if _, err := io.ReadFull(c, buf[:]); err != nil {
		return latAck{}, err
	}
	if n, err := c.Read(buf[:1]); n != 0 || err != io.EOF {
		return latAck{}, errors.New("the server did not close after the refusal")
	}
	return parseLatAck(buf[:])
}

// TestLatencyRRTimeouts: rr's closed loop gives up on a peer that stops
// moving bytes, at either end: the client on a server that stops
// answering (its Timeout), the server on a client that stops in the middle
// of a request (Limits.IdleTimeout).
func TestLatencyRRTimeouts(t *testing.T) {
	const bound = 300 * time.Millisecond
	t.Run("client", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() { // acks the hello, then swallows requests unanswered
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
			if _, err := io.ReadFull(conn, make([]byte, latHelloSize)); err == nil && writeLatAck(conn, latAck{ok: true}) == nil {
				_, _ = io.Copy(io.Discard, conn)
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a missing bound fails, not hangs
		defer cancel()
		start := time.Now()
		_, err = (&Client{}).RunLatency(ctx, ln.Addr().String(), LatencySpec{Duration: 20 * time.Second, Timeout: bound})
		if err == nil || !strings.Contains(err.Error(), "no response within 300ms") {
			t.Fatalf("rr against a server that stopped answering: %v, want no response within 300ms", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("the timeout took %v", took)
		}
	})
	t.Run("server", func(t *testing.T) {
		addr := startServer(t, &Server{Limits: Limits{IdleTimeout: bound}, Logger: testLogger(t)})
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		h := latHello{mode: RR, ack: true, request: 100, response: 1}
		if _, err := conn.Write(append(h.append(nil), make([]byte, 50)...)); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(conn, make([]byte, latAckSize)); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_ = conn.SetReadDeadline(start.Add(5 * time.Second))
		n, err := conn.Read(make([]byte, 1))
		if n != 0 || err != io.EOF {
			t.Fatalf("a client stalled in a request: read %d, %v; want the server to close (EOF)", n, err)
		}
		if waited := time.Since(start); waited < bound/2 {
			t.Errorf("closed after %v, well before the idle timeout of %v", waited, bound)
		}
	})
}
