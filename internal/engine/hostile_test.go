package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/iperf3"
)

// The server under attack: short handshakes so that every stalled peer is
// dropped quickly, few tests at once so that the limit is reached.
const (
	hostileHandshake = 300 * time.Millisecond
	hostileMaxTests  = 4
	hostileMaxTime   = 30 * time.Second
	hostileIdle      = 500 * time.Millisecond
	// closeWithin bounds how long the server may take to drop a peer
	// that stalls: the handshake timeout plus scheduling slack (-race).
	closeWithin = 2 * time.Second
)

var hostileLimits = Limits{MaxTests: hostileMaxTests, HandshakeTimeout: hostileHandshake, MaxDuration: hostileMaxTime, IdleTimeout: hostileIdle}

// TestHostileServer feeds a running server what a broken or malicious
// peer would send. After each case a legitimate test must succeed, and the
// process's goroutines and file descriptors must return to their level
// before the case.
func TestHostileServer(t *testing.T) {
	srv := &Server{Limits: hostileLimits, Logger: testLogger(t)}
	addr := startServer(t, srv)
	// Warm up: the first UDP test opens the server's shared UDP socket and
	// its goroutine for good, and the runtime starts its own helpers.
	warm := []Spec{{Bytes: 1 << 20}, {Protocol: UDP, Blocks: 100, Rate: 10e6}}
	for _, spec := range warm {
		if _, err := (&Client{}).Run(context.Background(), addr, spec); err != nil {
			t.Fatalf("warm-up %s test: %v", spec.Protocol, err)
		}
	}

	cases := []struct {
		name string
		run  func(t *testing.T, addr string)
	}{
		{"random-cookie", hostileRandomCookie},
		{"slowloris", hostileSlowloris},
		{"huge-length", hostileHugeLength},
		{"malformed-params", hostileMalformedParams},
		{"absurd-params", hostileAbsurdParams},
		{"unknown-data-cookie", hostileUnknownDataCookie},
		{"extra-data-conn", hostileExtraDataConn},
		{"reset-mid-test", hostileResetMidTest},
		{"no-results", hostileNoResults},
		{"silent-mid-test", hostileSilentMidTest},
		{"200-control-conns", hostileManyControlConns},
		{"rtt-probes", hostileRTTProbes},
		{"udp-garbage", hostileUDPGarbage},
		{"udp-partial-streams", hostileUDPPartialStreams},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := takeBaseline(t)
			// A nested test, so that its connections (closed by its
			// cleanups) are gone before the leak check.
			t.Run("attack", func(t *testing.T) { tc.run(t, addr) })
			legitTest(t, addr)
			base.settle(t)
		})
	}
}

// legitTest runs the short TCP test that must succeed after every attack:
// bounded by bytes, so it goes through every state of a test without a
// timed second per case.
func legitTest(t *testing.T, addr string) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := (&Client{}).Run(ctx, addr, Spec{Bytes: 8 << 20})
	if err != nil {
		t.Errorf("legitimate test: %v", err)
		return nil
	}
	if res.SumReceived.Bytes == 0 || res.Goodput() <= 0 {
		t.Errorf("legitimate test measured nothing: %+v", res.SumReceived)
	}
	return res
}

// leakBaseline is the process's goroutines and open descriptors at one moment.
type leakBaseline struct{ goroutines, fds int }

func takeBaseline(t *testing.T) leakBaseline {
	return leakBaseline{runtime.NumGoroutine(), openFDs(t)}
}

// settle waits up to 2 s for goroutines and descriptors to come back to
// the baseline, and reports what is left over if they do not.
func (b leakBaseline) settle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		g, f := runtime.NumGoroutine(), openFDs(t)
		if g <= b.goroutines && f <= b.fds {
			return
		}
		if time.Now().After(deadline) {
			var stacks bytes.Buffer
			_ = pprof.Lookup("goroutine").WriteTo(&stacks, 1)
			t.Errorf("leak: %d goroutines (baseline %d) and %d fds (baseline %d) 2s after the case\n%s\nopen fds:\n%s",
				g, b.goroutines, f, b.fds, stacks.String(), fdList())
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testLogger sends the server's log to the test's log (shown with -v or on failure).
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// expectCleanEnd checks that the server answered hostile input with at
// most PARAM_EXCHANGE (or CREATE_STREAMS when allowed) followed by nothing,
// ACCESS_DENIED or one SERVER_ERROR, and then closed the connection within
// closeWithin: a refusal or a clean close, never a hang.
func expectCleanEnd(t *testing.T, what string, end peerEnd, allowed ...iperf3.State) {
	t.Helper()
	if !end.closed || end.elapsed > closeWithin {
		t.Errorf("%s: %v", what, end)
		return
	}
	b := end.data
	for _, s := range append([]iperf3.State{iperf3.ParamExchange}, allowed...) {
		if len(b) > 0 && b[0] == byte(s) {
			b = b[1:]
		}
	}
	if len(b) == 0 || (len(b) == 1 && b[0] == accessDenied) {
		return
	}
	if _, _, ok := serverError(b); !ok {
		t.Errorf("%s: not a refusal: %v", what, end)
	}
}

// expectServerError checks that the server sent exactly one SERVER_ERROR
// with one of the codes, then closed.
func expectServerError(t *testing.T, what string, end peerEnd, codes ...int32) {
	t.Helper()
	code, _, ok := serverError(end.data)
	if !ok || !end.closed || end.elapsed > closeWithin {
		t.Errorf("%s: want SERVER_ERROR %v and a close: %v", what, codes, end)
		return
	}
	for _, c := range codes {
		if code == c {
			return
		}
	}
	t.Errorf("%s: SERVER_ERROR %d (%s), want one of %v", what, code, iperf3.ErrnoText(code), codes)
}

// writeQuietly writes b, ignoring errors: the server may have closed already.
func writeQuietly(c *net.TCPConn, b []byte) {
	_ = c.SetWriteDeadline(time.Now().Add(rawIOTimeout))
	_, _ = c.Write(b)
}

func randomBytes(rng *rand.Rand, n int, noNUL bool) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
		for noNUL && b[i] == 0 {
			b[i] = byte(rng.Uint32())
		}
	}
	return b
}

// hostileRandomCookie: bytes that are not a cookie.
func hostileRandomCookie(t *testing.T, addr string) {
	rng := rand.New(rand.NewPCG(1, 37))
	nulInside := randomBytes(rng, iperf3.CookieSize, true)
	nulInside[17] = 0
	variants := []struct {
		name string
		b    []byte
	}{
		{"no-NUL", randomBytes(rng, iperf3.CookieSize, true)},
		{"NUL-inside", nulInside},                      // a cookie to a C-string server: a new test that then stalls
		{"all-NUL", make([]byte, 2*iperf3.CookieSize)}, // empty cookie, then a zero length
		{"64KiB-garbage", randomBytes(rng, 64<<10, false)},
		{"http", []byte("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: hostile-test\r\n\r\n")},
		{"tls-client-hello", append([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03}, randomBytes(rng, 508, false)...)},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			c := dialRaw(t, addr)
			writeQuietly(c.conn, v.b)
			expectCleanEnd(t, v.name, c.readToEnd(rawIOTimeout, 1024))
		})
	}
}

// hostileSlowloris: connections that stall before their cookie or inside
// their parameters are dropped after the handshake timeout, and a
// legitimate test is served while they hang.
func hostileSlowloris(t *testing.T, addr string) {
	const partialCookies = 16
	var conns []*rawConn
	for i := range partialCookies {
		c := dialRaw(t, addr)
		if n := i * iperf3.CookieSize / partialCookies; n > 0 { // 0..34 bytes: never a whole cookie
			c.write([]byte(newRawCookie(t))[:n])
		}
		conns = append(conns, c)
	}
	// Two stall inside the parameters, from another address than the
	// legitimate test's; they hold a test slot each, which leaves room
	// under MaxTests (and under MaxSetupsPerSource) for the legitimate test.
	c := dialRawFrom(t, otherSource, addr)
	c.sendCookie("")
	c.write([]byte{0, 0}) // half a length
	conns = append(conns, c)
	c = dialRawFrom(t, otherSource, addr)
	c.sendCookie("")
	c.write([]byte{0, 0, 0, 100, '{', '"', 't', 'c', 'p', '"'}) // 6 of 100 bytes
	conns = append(conns, c)

	type closed struct {
		end peerEnd
		at  time.Time
	}
	ends := make([]closed, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			e := c.readToEnd(rawIOTimeout, 64)
			ends[i] = closed{e, time.Now()}
		})
	}
	var res *Result
	wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r, err := (&Client{}).Run(ctx, addr, Spec{Duration: time.Second})
		if err != nil {
			t.Errorf("legitimate test during the slowloris: %v", err)
			return
		}
		res = r
	})
	wg.Wait()
	first := time.Time{}
	for i, e := range ends {
		expectCleanEnd(t, fmt.Sprintf("slow connection %d", i), e.end)
		if e.end.closed && e.end.elapsed < hostileHandshake/2 {
			t.Errorf("slow connection %d dropped after %v, before the handshake timeout %v", i, e.end.elapsed, hostileHandshake)
		}
		if first.IsZero() || e.at.Before(first) {
			first = e.at
		}
	}
	if res != nil && !res.Start.Before(first) {
		t.Errorf("the legitimate test started at %v, after the first slow connection was dropped (%v): not served meanwhile", res.Start, first)
	}
}

// hostileHugeLength: a valid cookie, then message lengths the server must
// refuse before allocating anything.
func hostileHugeLength(t *testing.T, addr string) {
	for _, n := range []uint32{0xFFFFFFFF, 0x7FFFFFFF, maxParamsSize + 1, 0} {
		t.Run(fmt.Sprintf("%#x", n), func(t *testing.T) {
			t.Parallel()
			c := dialRaw(t, addr)
			c.hello()
			c.write(binary.BigEndian.AppendUint32(nil, n))
			expectServerError(t, "length", c.readToEnd(rawIOTimeout, 64), iperf3.ErrnoRecvParams)
		})
	}
}

// hostileMalformedParams: parameters that are not a JSON object of the
// right shape get SERVER_ERROR "unable to receive parameters".
func hostileMalformedParams(t *testing.T, addr string) {
	bodies := []struct{ name, body string }{
		{"not-json", "not json at all"},
		{"truncated", `{"tcp":true,"time":1,"parallel":`},
		{"array", `[1,2,3]`},
		{"string", `"params"`},
		{"null", `null`},
		{"wrong-type", `{"tcp":true,"time":"ten","len":131072}`},
		{"object-for-int", `{"tcp":true,"parallel":{"n":1}}`},
		{"two-values", `{"tcp":true}{"udp":true}`},
		{"deep", strings.Repeat("[", 20000) + strings.Repeat("]", 20000)},
		{"binary", "\x00\xff\xfe{\"tcp\":true}"},
	}
	for _, b := range bodies {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			c := dialRaw(t, addr)
			c.hello()
			c.sendMessage([]byte(b.body))
			expectServerError(t, b.name, c.readToEnd(rawIOTimeout, 64), iperf3.ErrnoRecvParams)
		})
	}
	t.Run("short-body-then-EOF", func(t *testing.T) {
		t.Parallel()
		c := dialRaw(t, addr)
		c.hello()
		c.write([]byte("\x00\x00\x00\x64{\"tcp\":"))
		_ = c.conn.CloseWrite()
		expectServerError(t, "short body", c.readToEnd(rawIOTimeout, 64), iperf3.ErrnoRecvParams)
	})
}

// hostileAbsurdParams: well-formed parameters no server should run.
func hostileAbsurdParams(t *testing.T, addr string) {
	const (
		ok       = -1 // the server accepts (iperf3 semantics) and then times out our silence
		initTest = iperf3.ErrnoInitTest
	)
	rows := []struct {
		name  string
		body  string
		codes []int32
	}{
		{"parallel-1000000", `{"tcp":true,"time":1,"parallel":1000000,"len":131072}`, []int32{6}},
		{"parallel-0", `{"tcp":true,"time":1,"parallel":0,"len":131072}`, []int32{6}},
		{"parallel-negative", `{"tcp":true,"time":1,"parallel":-3,"len":131072}`, []int32{6}},
		{"bidir-over-max", `{"tcp":true,"time":1,"parallel":200,"bidirectional":true,"len":131072}`, []int32{6}},
		{"time-negative", `{"tcp":true,"time":-5,"parallel":1,"len":131072}`, []int32{initTest}},
		{"time-minus-one-as-uint64", `{"tcp":true,"time":18446744073709551615,"parallel":1,"len":131072}`, []int32{initTest}},
		{"time-one-year", `{"tcp":true,"time":31536000,"parallel":1,"len":131072}`, []int32{iperf3.ErrnoMaxDuration}},
		{"time-wraps-to-1s", `{"tcp":true,"time":36028797018963969,"parallel":1,"len":131072}`, []int32{iperf3.ErrnoMaxDuration}},
		{"time-1e300", `{"tcp":true,"time":1e300,"parallel":1,"len":131072}`, []int32{iperf3.ErrnoMaxDuration, iperf3.ErrnoRecvParams}},
		{"omit-huge", `{"tcp":true,"time":1,"omit":9223372036854775807,"parallel":1,"len":131072}`, []int32{iperf3.ErrnoMaxDuration}},
		{"omit-negative", `{"tcp":true,"time":1,"omit":-1,"parallel":1,"len":131072}`, []int32{12}},
		{"time-0-no-bytes", `{"tcp":true,"time":0,"num":0,"blockcount":0,"parallel":1,"len":131072}`, []int32{iperf3.ErrnoMaxDuration}},
		{"num-negative", `{"tcp":true,"time":0,"num":-1,"parallel":1,"len":131072}`, []int32{initTest}},
		{"sctp", `{"sctp":true,"time":1,"parallel":1,"len":131072}`, []int32{18}},
		{"len-0", `{"tcp":true,"time":1,"parallel":1,"len":0}`, []int32{20}},
		{"len-negative", `{"tcp":true,"time":1,"parallel":1,"len":-1}`, []int32{20}},
		{"len-2GiB", `{"tcp":true,"time":1,"parallel":1,"len":2147483647}`, []int32{20}},
		{"udp-len-8", `{"udp":true,"time":1,"parallel":1,"len":8,"bandwidth":1000000}`, []int32{20}},
		{"udp-len-70000", `{"udp":true,"time":1,"parallel":1,"len":70000,"bandwidth":1000000}`, []int32{20}},
		{"window-negative", `{"tcp":true,"time":1,"parallel":1,"len":131072,"window":-1}`, []int32{initTest}},
		{"mss-negative", `{"tcp":true,"time":1,"parallel":1,"len":131072,"MSS":-1}`, []int32{initTest}},
		// iperf3 takes the last protocol key it knows: both means UDP.
		{"tcp-and-udp", `{"tcp":true,"udp":true,"time":1,"parallel":1,"len":1460,"bandwidth":1000000}`, []int32{ok}},
		// Unknown keys are ignored, as by iperf3: a TCP test.
		{"unknown-protocol", `{"quic":true,"time":1,"parallel":1,"len":131072}`, []int32{ok}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			// Not parallel: accepted rows hold a test slot and the UDP setup.
			c := dialRaw(t, addr)
			c.hello()
			c.sendMessage([]byte(r.body))
			end := c.readToEnd(rawIOTimeout, 64)
			if r.codes[0] == ok {
				// We open no stream: the server must give up after its
				// handshake timeout, refusing or closing.
				if len(end.data) == 0 || end.data[0] != byte(iperf3.CreateStreams) {
					t.Errorf("want CREATE_STREAMS: %v", end)
				}
				expectCleanEnd(t, r.name, end, iperf3.CreateStreams)
				return
			}
			expectServerError(t, r.name, end, r.codes...)
		})
	}
}

// hostileUnknownDataCookie: a connection with a cookie no test has, sent
// while a test is accepting its streams, is not taken as the test's stream;
// to the server it is a new control connection, which gets nowhere.
func hostileUnknownDataCookie(t *testing.T, addr string) {
	rng := rand.New(rand.NewPCG(2, 37))
	ctl := dialRaw(t, addr)
	ctl.hello()
	ctl.sendParams(rawParams(1))
	ctl.expectState(iperf3.CreateStreams)

	silent := dialRaw(t, addr) // cookie, then nothing
	silent.sendCookie("")
	streaming := dialRaw(t, addr) // cookie, then data as a stream would send
	streaming.sendCookie("")
	writeQuietly(streaming.conn, randomBytes(rng, 128<<10, false))

	// Neither is taken for the test's stream: the test still waits.
	if b, err := ctl.quiet(hostileHandshake / 3); err == nil {
		t.Fatalf("the test started (%v) without its stream", iperf3.State(int8(b)))
	}
	d := dialRaw(t, addr)
	d.sendCookie(ctl.cookie)
	ctl.expectState(iperf3.TestStart)
	ctl.expectState(iperf3.TestRunning)
	d.write(randomBytes(rng, 64<<10, false))
	expectCleanEnd(t, "unknown cookie, silent", silent.readToEnd(rawIOTimeout, 64))
	expectCleanEnd(t, "unknown cookie, streaming", streaming.readToEnd(rawIOTimeout, 64))
	rt := &rawTest{ctl: ctl, data: []*rawConn{d}, streams: 1}
	rt.finish(t)
}

// hostileExtraDataConn: more data connections than the test declared get
// ACCESS_DENIED, during stream setup and during the test, and the test
// goes on.
func hostileExtraDataConn(t *testing.T, addr string) {
	ctl := dialRaw(t, addr)
	ctl.hello()
	ctl.sendParams(rawParams(1))
	ctl.expectState(iperf3.CreateStreams)
	// Two connections for one declared stream, as fast as we can.
	a, b := dialRaw(t, addr), dialRaw(t, addr)
	a.sendCookie(ctl.cookie)
	b.sendCookie(ctl.cookie)
	ctl.expectState(iperf3.TestStart)
	ctl.expectState(iperf3.TestRunning)

	// Briefly: the test's stream carries no data meanwhile, and the
	// server drops a test idle for hostileIdle.
	ea, eb := make(chan peerEnd, 1), make(chan peerEnd, 1)
	go func() { ea <- a.readToEnd(hostileIdle/4, 64) }()
	go func() { eb <- b.readToEnd(hostileIdle/4, 64) }()
	endA, endB := <-ea, <-eb
	denied := func(e peerEnd) bool { return e.closed && bytes.Equal(e.data, []byte{accessDenied}) }
	kept := func(e peerEnd) bool { return !e.closed && len(e.data) == 0 && isTimeout(e.err) }
	var stream *rawConn
	switch {
	case denied(endA) && kept(endB):
		stream = b
	case denied(endB) && kept(endA):
		stream = a
	default:
		t.Fatalf("want one connection kept and one denied:\n a: %v\n b: %v", endA, endB)
	}

	late := dialRaw(t, addr) // a third, once the test runs
	late.sendCookie(ctl.cookie)
	if e := late.readToEnd(rawIOTimeout, 64); !denied(e) {
		t.Errorf("extra data connection during the test: want ACCESS_DENIED and a close: %v", e)
	}
	stream.write(make([]byte, 64<<10))
	rt := &rawTest{ctl: ctl, data: []*rawConn{stream}, streams: 1}
	rt.finish(t)
}

// hostileResetMidTest: the client's sockets are reset (RST) while data
// flows; the server ends the test and frees everything.
func hostileResetMidTest(t *testing.T, addr string) {
	rows := []struct {
		name        string
		reverse     bool
		bidir       bool
		parallel    int
		resetCtl    bool
		resetData   bool
		wantCtlEnd  bool // the control connection stays ours: the server must end it
		wantDataEnd bool // the data connections stay ours: the server must close them
	}{
		{name: "all-forward", parallel: 2, resetCtl: true, resetData: true},
		{name: "all-reverse", reverse: true, parallel: 2, resetCtl: true, resetData: true},
		{name: "all-bidir", bidir: true, parallel: 1, resetCtl: true, resetData: true},
		{name: "control-only", parallel: 2, resetCtl: true, wantDataEnd: true},
		{name: "control-only-reverse", reverse: true, parallel: 1, resetCtl: true, wantDataEnd: true},
		{name: "data-only", parallel: 1, resetData: true, wantCtlEnd: true},
		{name: "data-only-reverse", reverse: true, parallel: 1, resetData: true, wantCtlEnd: true},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			p := rawParams(5)
			p.Parallel, p.Reverse, p.Bidirectional = r.parallel, r.reverse, r.bidir
			rt := startRawTest(t, addr, p)
			if !r.reverse {
				for _, d := range rt.data {
					writeQuietly(d.conn, make([]byte, 256<<10))
				}
			}
			time.Sleep(100 * time.Millisecond) // data flows (or, reversed, fills our buffers)
			if r.resetData {
				for _, d := range rt.data {
					d.reset()
				}
			}
			if r.resetCtl {
				rt.ctl.reset()
			}
			if r.wantCtlEnd {
				// The server tells us (SERVER_TERMINATE) and closes.
				end := rt.ctl.readToEnd(rawIOTimeout, 64)
				if !end.closed || end.elapsed > closeWithin || !bytes.HasPrefix(end.data, []byte{byte(iperf3.ServerTerminate)}) {
					t.Errorf("control after the data reset: want SERVER_TERMINATE and a close: %v", end)
				}
			}
			if r.wantDataEnd {
				for i, d := range rt.data {
					// Reversed, the server was sending: drain until it closes.
					end := d.readToEnd(rawIOTimeout, 64<<20)
					if !end.closed || end.elapsed > closeWithin {
						t.Errorf("data connection %d after the control reset: %v", i, peerEnd{closed: end.closed, err: end.err, elapsed: end.elapsed})
					}
				}
			}
		})
	}
}

// hostileNoResults: the client ends the test and then never sends its
// results (or sends part of them): the server gives up after its handshake
// timeout.
func hostileNoResults(t *testing.T, addr string) {
	rows := []struct {
		name string
		send []byte
	}{
		{"silent", nil},
		{"partial", []byte("\x00\x00\x03\xe8{\"cpu_util_total\":")},
		{"huge-length", []byte{0xff, 0xff, 0xff, 0xff}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			rt := startRawTest(t, addr, rawParams(5))
			rt.data[0].write(make([]byte, 64<<10))
			rt.ctl.write([]byte{byte(iperf3.TestEnd)})
			rt.ctl.expectState(iperf3.ExchangeResults)
			if r.send != nil {
				rt.ctl.write(r.send)
			}
			end := rt.ctl.readToEnd(rawIOTimeout, 64)
			expectCleanEnd(t, "control", end)
			if r.send == nil && end.elapsed < hostileHandshake/2 {
				t.Errorf("closed after %v, before the handshake timeout", end.elapsed)
			}
			if d := rt.data[0].readToEnd(rawIOTimeout, 64); !d.closed {
				t.Errorf("data connection: %v", d)
			}
		})
	}
}

// hostileSilentMidTest: the client stops moving data (sending, or
// reading when reversed) and never ends its 10 s test: the server drops
// it after its idle timeout, telling it SERVER_TERMINATE.
func hostileSilentMidTest(t *testing.T, addr string) {
	for _, reverse := range []bool{false, true} {
		t.Run(map[bool]string{false: "forward", true: "reverse"}[reverse], func(t *testing.T) {
			t.Parallel()
			p := rawParams(10)
			p.Reverse = reverse
			rt := startRawTest(t, addr, p)
			if !reverse {
				rt.data[0].write(make([]byte, 64<<10))
			}
			end := rt.ctl.readToEnd(rawIOTimeout, 64)
			if !end.closed || !bytes.Equal(end.data, []byte{byte(iperf3.ServerTerminate)}) {
				t.Errorf("want SERVER_TERMINATE and a close: %v", end)
			}
			if end.elapsed < hostileIdle || end.elapsed > hostileIdle+closeWithin {
				t.Errorf("dropped after %v; the idle timeout is %v", end.elapsed, hostileIdle)
			}
		})
	}
}

// hostileManyControlConns: 200 control connections at once; beyond
// MaxTests they get ACCESS_DENIED, and nothing else happens.
func hostileManyControlConns(t *testing.T, addr string) {
	const n = 200
	type answer struct {
		state iperf3.State
		err   error
	}
	conns := make([]net.Conn, n)
	answers := make([]answer, n)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, err := net.DialTimeout("tcp", addr, rawIOTimeout)
			if err != nil {
				answers[i].err = err
				return
			}
			conns[i] = c
			_ = c.SetDeadline(time.Now().Add(rawIOTimeout))
			cookie, _ := iperf3.NewCookie()
			if _, err := c.Write(iperf3.AppendCookie(nil, cookie)); err != nil {
				answers[i].err = err
				return
			}
			var b [1]byte
			if _, err := io.ReadFull(c, b[:]); err != nil {
				answers[i].err = err
				return
			}
			answers[i].state = iperf3.State(int8(b[0]))
		})
	}
	wg.Wait()
	burst := time.Since(start)
	accepted, denied := 0, 0
	for i, a := range answers {
		switch {
		case a.err != nil:
			t.Errorf("connection %d: %v", i, a.err)
		case a.state == iperf3.ParamExchange:
			accepted++
		case a.state == iperf3.AccessDenied:
			denied++
		default:
			t.Errorf("connection %d: got %v", i, a.state)
		}
	}
	// A test slot frees up when a stalled test times out, so a slow burst
	// may see a few more acceptances than MaxTests.
	most := hostileMaxTests * (1 + int(burst/hostileHandshake))
	t.Logf("%d connections in %v: %d accepted, %d denied", n, burst.Round(time.Millisecond), accepted, denied)
	if accepted < 1 || accepted > most || accepted+denied != n {
		t.Errorf("%d accepted (want 1..%d), %d denied, of %d", accepted, most, denied, n)
	}
	// Close them all. The tests that were accepted see EOF on their
	// parameters and refuse; wait for that, so that the server has freed
	// their slots before the next test comes.
	for i, c := range conns {
		if c == nil {
			continue
		}
		if answers[i].state == iperf3.ParamExchange {
			_ = c.(*net.TCPConn).CloseWrite()
			r := &rawConn{t: t, conn: c.(*net.TCPConn)}
			expectServerError(t, fmt.Sprintf("accepted connection %d", i), r.readToEnd(rawIOTimeout, 64), iperf3.ErrnoRecvParams)
		}
		c.Close()
	}
}

// hostileRTTProbes: connect-RTT probes (connections that close before
// their cookie, as fast as the client makes them) all connect, take no
// test slot and leave nothing behind.
func hostileRTTProbes(t *testing.T, addr string) {
	const n = 100
	c := &Client{}
	r := c.probeRTT(context.Background(), addr, Spec{RTTProbes: n})
	if r.Probes != n || r.Failed != 0 || len(r.SamplesUs) != n {
		t.Errorf("%d probes, %d failed, %d samples; want %d connected", r.Probes, r.Failed, len(r.SamplesUs), n)
	}
}

// helloLike reports whether a 4-byte datagram is one of the UDP hellos a
// server takes for a stream.
func helloLike(b []byte) bool {
	return len(b) == 4 && (bytes.Equal(b, iperf3.UDPConnectMsg[:]) || bytes.Equal(b, iperf3.UDPLegacyConnect[:]) ||
		bytes.Equal(b, []byte{0x07, 0x5b, 0xcd, 0x15}))
}

// garbageDatagrams are n datagrams of every awkward size: empty, shorter
// than a header, 4 bytes that are not a hello, headers with random
// sequence numbers, and the largest a UDP socket sends.
func garbageDatagrams(rng *rand.Rand, n int) [][]byte {
	sizes := []int{0, 1, 2, 3, 4, 5, 8, 11, 12, 13, 15, 16, 64, 1460, 8972, 65507}
	out := make([][]byte, n)
	for i := range out {
		b := randomBytes(rng, sizes[i%len(sizes)], false)
		if helloLike(b) {
			b[0] ^= 0x80
		}
		out[i] = b
	}
	return out
}

// sprayUDP sends the datagrams to server from a fresh socket, gap apart,
// until they are all sent or stop closes.
func sprayUDP(t *testing.T, server *net.UDPAddr, dgrams [][]byte, gap time.Duration, stop <-chan struct{}) int {
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Error(err)
		return 0
	}
	defer pc.Close()
	sent := 0
	for _, d := range dgrams {
		select {
		case <-stop:
			return sent
		default:
		}
		if _, err := pc.WriteToUDP(d, server); err == nil {
			sent++
		}
		if gap > 0 {
			time.Sleep(gap)
		}
	}
	return sent
}

// hostileUDPGarbage: datagrams that are short or garbage, outside a UDP
// test and during one, change nothing: the UDP test completes with its
// asked rate and no loss.
func hostileUDPGarbage(t *testing.T, addr string) {
	server, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 37))
	t.Run("before-the-hello", func(t *testing.T) {
		// A test is waiting for its stream's hello; 4-byte garbage from
		// elsewhere arrives first and must not take the stream.
		p := rawParams(1)
		p.TCP, p.UDP, p.Len, p.Bandwidth = false, true, 1460, 1e6
		ctl := dialRaw(t, addr)
		ctl.hello()
		ctl.sendParams(p)
		ctl.expectState(iperf3.CreateStreams)
		sprayUDP(t, server, [][]byte{{0xde, 0xad, 0xbe, 0xef}, {'6', '7', '8', '9'}, iperf3.UDPLegacyReply[:]}, 0, nil)
		if b, err := ctl.quiet(50 * time.Millisecond); err == nil {
			t.Fatalf("garbage took the test's stream: the server sent %v", iperf3.State(int8(b)))
		}
		pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		if !udpHelloFrom(t, pc, server, time.Second) {
			t.Fatal("no reply to the real hello")
		}
		ctl.expectState(iperf3.TestStart)
		ctl.expectState(iperf3.TestRunning)
		rt := &rawTest{ctl: ctl, udp: []*net.UDPConn{pc}, streams: 1}
		rt.finish(t)
	})
	t.Run("during-a-test", func(t *testing.T) {
		const rate = 20e6
		stop := make(chan struct{})
		var wg sync.WaitGroup
		sent := make([]int, 2)
		for i := range sent {
			dgrams := garbageDatagrams(rng, 4000)
			wg.Go(func() { sent[i] = sprayUDP(t, server, dgrams, 500*time.Microsecond, stop) })
		}
		time.Sleep(20 * time.Millisecond) // garbage is flowing before the test starts
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := (&Client{}).Run(ctx, addr, Spec{Protocol: UDP, Duration: time.Second, Streams: 2, Rate: rate, Length: 1460})
		close(stop)
		wg.Wait()
		t.Logf("sprayed %d garbage datagrams", sent[0]+sent[1])
		if err != nil {
			t.Fatalf("UDP test among garbage: %v", err)
		}
		snd, rcv := res.SumSent, res.SumReceived
		t.Logf("UDP among garbage: sent %d pkts %d B, received %d B at %.1f Mbit/s, lost %d, jitter %.3f ms",
			snd.Packets, snd.Bytes, rcv.Bytes, rcv.BitsPerSecond/1e6, rcv.LostPackets, rcv.JitterMs)
		if snd.Packets == 0 || rcv.Bytes == 0 {
			t.Fatalf("nothing measured: sent %+v received %+v", snd, rcv)
		}
		if rcv.Bytes > snd.Bytes || rcv.Bytes < snd.Bytes*99/100 {
			t.Errorf("received %d B of %d B sent: garbage counted, or data lost", rcv.Bytes, snd.Bytes)
		}
		if rcv.LostPackets < 0 || rcv.LostPackets > snd.Packets/100 {
			t.Errorf("lost %d of %d packets", rcv.LostPackets, snd.Packets)
		}
		if want := 2 * rate; rcv.BitsPerSecond < 0.9*want || rcv.BitsPerSecond > 1.1*want {
			t.Errorf("received %.1f Mbit/s, asked %.1f", rcv.BitsPerSecond/1e6, want/1e6)
		}
		if rcv.JitterMs < 0 || rcv.JitterMs > 50 {
			t.Errorf("jitter %.3f ms", rcv.JitterMs)
		}
	})
	// Last: hellos sent outside a test are dropped, but one still queued
	// when the next UDP test sets up would be taken for its stream (as by
	// iperf3: a hello carries no cookie).
	t.Run("outside-a-test", func(t *testing.T) {
		dgrams := append(garbageDatagrams(rng, 300), iperf3.UDPConnectMsg[:], iperf3.UDPLegacyConnect[:])
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() { sprayUDP(t, server, dgrams, 0, nil) })
		}
		wg.Wait()
	})
}

// hostileUDPPartialStreams: a UDP test that opens fewer streams than it
// declared is dropped, and the stream it did open is forgotten: a later
// test from the same address is served.
func hostileUDPPartialStreams(t *testing.T, addr string) {
	server, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	p := rawParams(1)
	p.TCP, p.UDP, p.Len, p.Bandwidth, p.Parallel = false, true, 1460, 1e6, 2

	ctl := dialRaw(t, addr)
	ctl.hello()
	ctl.sendParams(p)
	ctl.expectState(iperf3.CreateStreams)
	if !udpHelloFrom(t, pc, server, rawIOTimeout) {
		t.Fatal("no reply to the first UDP hello")
	}
	expectCleanEnd(t, "UDP test with 1 of 2 streams", ctl.readToEnd(rawIOTimeout, 64))

	// Same source address, new test.
	p.Parallel = 1
	ctl = dialRaw(t, addr)
	ctl.hello()
	ctl.sendParams(p)
	ctl.expectState(iperf3.CreateStreams)
	if !udpHelloFrom(t, pc, server, time.Second) {
		t.Fatal("no reply to a UDP hello from an address a dropped test had used")
	}
	ctl.expectState(iperf3.TestStart)
	ctl.expectState(iperf3.TestRunning)
	rt := &rawTest{ctl: ctl, udp: []*net.UDPConn{pc}, streams: 1}
	rt.finish(t)
}

// TestHostileClient: the client gives a clear error, quickly, for servers
// that are not there, speak garbage, say nothing or refuse the test.
func TestHostileClient(t *testing.T) {
	real := startServer(t, &Server{Limits: hostileLimits})
	rng := rand.New(rand.NewPCG(4, 37))
	randomGarbage := randomBytes(rng, 4096, false)
	afterParams := append([]byte{byte(iperf3.ParamExchange)}, randomBytes(rng, 4096, false)...)

	write := func(b []byte) func(net.Conn, <-chan struct{}) {
		return func(c net.Conn, done <-chan struct{}) {
			_, _ = c.Write(b)
			<-done
		}
	}
	rows := []struct {
		name   string
		addr   func(t *testing.T) string
		spec   Spec
		wantIn []string // the error contains one of these
		check  func(t *testing.T, err error)
	}{
		{name: "closed-port", addr: closedPort, wantIn: []string{"connection refused"}},
		{name: "random-bytes", addr: fakeServer(write(randomGarbage)),
			wantIn: []string{"unknown control message", "protocol error", "server error", "busy"}},
		{name: "http-server", addr: fakeServer(write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))),
			wantIn: []string{"unknown control message 72 from peer (is it an iperf3 server?)"}},
		{name: "ssh-server", addr: fakeServer(write([]byte("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"))),
			wantIn: []string{"unknown control message"}},
		{name: "garbage-after-param-exchange", addr: fakeServer(write(afterParams)),
			wantIn: []string{"unknown control message", "protocol error", "server error", "busy"}},
		{name: "close-after-param-exchange", addr: fakeServer(func(c net.Conn, _ <-chan struct{}) {
			_, _ = c.Write([]byte{byte(iperf3.ParamExchange)})
		}), wantIn: []string{"closed unexpectedly", "broken pipe", "connection reset"}},
		{name: "silent", addr: fakeServer(write(nil)), wantIn: []string{"timed out waiting for PARAM_EXCHANGE"}},
		{name: "silent-after-param-exchange", addr: fakeServer(write([]byte{byte(iperf3.ParamExchange)})),
			wantIn: []string{"timed out waiting for CREATE_STREAMS"}},
		{name: "busy", addr: fakeServer(func(c net.Conn, _ <-chan struct{}) { _, _ = c.Write([]byte{accessDenied}) }),
			check: func(t *testing.T, err error) {
				if !errors.Is(err, ErrBusy) {
					t.Errorf("want ErrBusy, got %v", err)
				}
			}},
		{name: "refused-max-duration", addr: func(*testing.T) string { return real }, spec: Spec{Duration: 2 * hostileMaxTime},
			wantIn: []string{"server's maximum"},
			check: func(t *testing.T, err error) {
				var se *ServerError
				if !errors.As(err, &se) || se.Code != iperf3.ErrnoMaxDuration {
					t.Errorf("want a ServerError %d, got %#v", iperf3.ErrnoMaxDuration, err)
				}
			}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			base := takeBaseline(t)
			t.Run("run", func(t *testing.T) {
				addr := r.addr(t)
				spec := r.spec
				if spec.Duration == 0 {
					spec.Duration = time.Second
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				c := &Client{HandshakeTimeout: hostileHandshake}
				start := time.Now()
				res, err := c.Run(ctx, addr, spec)
				took := time.Since(start)
				if err == nil {
					t.Fatalf("no error; result %+v", res.SumReceived)
				}
				t.Logf("after %v: %v", took.Round(time.Millisecond), err)
				if ctx.Err() != nil || took > closeWithin {
					t.Errorf("took %v: the client did not time out by itself", took)
				}
				if r.wantIn != nil && !containsAny(err.Error(), r.wantIn) {
					t.Errorf("error %q does not say one of %q", err, r.wantIn)
				}
				if r.check != nil {
					r.check(t, err)
				}
			})
			base.settle(t)
		})
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// fakeServer returns a maker of loopback listeners that run behave on each
// connection (at most 4) while draining what the client sends; everything
// stops when the test ends.
func fakeServer(behave func(c net.Conn, done <-chan struct{})) func(t *testing.T) string {
	return func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for range 4 {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				wg.Go(func() { _, _ = io.Copy(io.Discard, c) })
				wg.Go(func() {
					defer c.Close()
					behave(c, done)
				})
			}
		})
		t.Cleanup(func() {
			close(done)
			ln.Close()
			wg.Wait()
		})
		return ln.Addr().String()
	}
}

// TestHostileParamsDefaultLimits: a server with zero Limits applies the
// documented defaults to what a client asks.
func TestHostileParamsDefaultLimits(t *testing.T) {
	p := iperf3.DefaultParams()
	p.Time = int(2 * defaultMaxDuration / time.Second)
	if _, se, err := fromParams(p, Limits{}); err == nil || se.Code != iperf3.ErrnoMaxDuration {
		t.Errorf("a %v test under the default %v maximum: got %v, %v", 2*defaultMaxDuration, defaultMaxDuration, se, err)
	}
	p.Time = 10
	if _, _, err := fromParams(p, Limits{}); err != nil {
		t.Errorf("a 10 s test: %v", err)
	}
}
