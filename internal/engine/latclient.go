package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/cnibench/cnibench/internal/iperf3"
	"golang.org/x/sys/unix"
)

// errStockIperf3 is what a client reports when the server answered a
// latency hello the way an iperf3 server answers a cookie.
var errStockIperf3 = errors.New("the server is a stock iperf3 (or a cnibench older than the latency tests): latency tests need `cnibench server`")

// RunLatency runs one request/response test against a cnibench server at
// address ("host:port", the same port as the throughput tests) and returns
// its result. Cancelling ctx stops it promptly and returns ctx's error.
func (c *Client) RunLatency(ctx context.Context, address string, spec LatencySpec) (*LatencyResult, error) {
	spec, err := spec.Normalize()
	if err != nil {
		return nil, err
	}
	lt := &latencyTest{c: c, address: address, spec: spec, res: &LatencyResult{Spec: spec}, hist: newLatencyHistogram()}
	switch spec.Mode {
	case RR:
		err = lt.runRR(ctx)
	case CRR:
		err = lt.runCRR(ctx)
	case UDPRR:
		err = lt.runUDPRR(ctx)
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s test to %s interrupted: %w", spec.Mode, address, ctx.Err())
	}
	if err != nil {
		return nil, fmt.Errorf("%s test to %s: %w", spec.Mode, address, err)
	}
	lt.res.End = time.Now()
	if err := lt.res.summarize(lt.hist); err != nil {
		return nil, err
	}
	return lt.res, nil
}

// latencyTest is one latency test as the client runs it.
type latencyTest struct {
	c       *Client
	address string
	spec    LatencySpec
	res     *LatencyResult
	hist    *hdrhistogram.Histogram
}

// hello sends an acked hello on a new connection and reads the ack: the
// one round trip that tells a cnibench server from a stock iperf3.
func (lt *latencyTest) hello(ctx context.Context, mode LatencyMode) (net.Conn, latAck, error) {
	timeout := lt.spec.ConnectTimeout
	if timeout == 0 {
		timeout = lt.c.handshake()
	}
	conn, _, err := lt.c.dialTCP(ctx, lt.address, lt.spec.Family, timeout)
	if err != nil {
		return nil, latAck{}, fmt.Errorf("connect: %w", err)
	}
	a, err := lt.exchangeHello(ctx, conn, mode, timeout)
	if err != nil {
		conn.Close()
		return nil, a, err
	}
	return conn, a, nil
}

func (lt *latencyTest) exchangeHello(ctx context.Context, conn net.Conn, mode LatencyMode, timeout time.Duration) (latAck, error) {
	_ = conn.SetDeadline(time.Now().Add(timeout))
	defer conn.SetDeadline(time.Time{})
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	h := lt.helloFor(mode, true)
	if _, err := conn.Write(h.append(nil)); err != nil {
		return latAck{}, fmt.Errorf("send hello: %w", err)
	}
	var b [latAckSize]byte
	n, err := conn.Read(b[:])
	switch {
	case n > 0 && b[0] != latAckMagic[0]:
		// An iperf3 state byte: PARAM_EXCHANGE, or ACCESS_DENIED when busy.
		return latAck{}, fmt.Errorf("%w (it answered the hello with iperf3 state %v)", errStockIperf3, iperf3.State(int8(b[0])))
	case n == 0 && errors.Is(err, io.EOF):
		return latAck{}, fmt.Errorf("%w (it closed the connection at the hello)", errStockIperf3)
	case n == 0:
		return latAck{}, fmt.Errorf("no answer to the hello within %v (is it a cnibench server?): %w", timeout, err)
	}
	if _, err := io.ReadFull(conn, b[n:]); err != nil {
		return latAck{}, fmt.Errorf("read the hello's answer: %w", err)
	}
	a, err := parseLatAck(b[:])
	if err != nil {
		return a, fmt.Errorf("%w: %w", errStockIperf3, err)
	}
	if !a.ok {
		return a, a.refusal()
	}
	return a, nil
}

func (lt *latencyTest) helloFor(mode LatencyMode, ack bool) latHello {
	h := latHello{mode: mode, ack: ack, request: lt.spec.RequestSize, response: lt.spec.ResponseSize}
	if mode != CRR {
		h.durationMs = uint32(lt.spec.Duration / time.Millisecond)
	}
	return h
}

// deadline is when the test stops starting transactions (zero: none, the
// transaction count ends it).
func (lt *latencyTest) deadline(start time.Time) time.Time {
	if lt.spec.Duration == 0 {
		return time.Time{}
	}
	return start.Add(lt.spec.Duration)
}

// more reports whether transaction number n (from 0) may start at now.
func (lt *latencyTest) more(n int64, now, end time.Time) bool {
	if lt.spec.Transactions > 0 && n >= lt.spec.Transactions {
		return false
	}
	return end.IsZero() || now.Before(end)
}

func (lt *latencyTest) begin(conn net.Conn) time.Time {
	if conn != nil {
		lt.res.Local, lt.res.Remote = conn.LocalAddr().String(), conn.RemoteAddr().String()
	}
	lt.res.Start = time.Now()
	return lt.res.Start
}

func (lt *latencyTest) finish(last time.Time) {
	lt.res.Seconds = last.Sub(lt.res.Start).Seconds()
}

// runRR: one connection, requests back to back (closed loop) or on a
// schedule (open loop).
func (lt *latencyTest) runRR(ctx context.Context) error {
	conn, _, err := lt.hello(ctx, RR)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	if lt.spec.Rate > 0 {
		return lt.rrOpenLoop(conn)
	}
	x := newRRConn(conn, lt.spec)
	if sock, stopWatch, err := x.block(); err == nil {
		defer sock.Close()
		defer stopWatch()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer context.AfterFunc(ctx, func() { sock.Interrupt(ctx.Err()) })()
	}
	start := lt.begin(conn)
	end, last := lt.deadline(start), start
	var pacer sysmonPacer
	for n := int64(0); ; n++ {
		pacer.pace(last)
		t0 := time.Now()
		if !lt.more(n, t0, end) {
			break
		}
		if err := x.transact(t0); err != nil {
			return err
		}
		last = time.Now()
		record(lt.hist, last.Sub(t0))
	}
	lt.finish(last)
	return nil
}

// rrConn is the client's end of an rr connection.
type rrConn struct {
	conn              net.Conn
	rw                io.ReadWriter // conn, or its blocking socket
	req, resp         []byte
	reqSize, respSize int
	timeout           time.Duration
	deadline          time.Time // the connection's read deadline
}

func newRRConn(conn net.Conn, s LatencySpec) *rrConn {
	return &rrConn{conn: conn, rw: conn, req: make([]byte, min(s.RequestSize, 64<<10)), resp: make([]byte, min(s.ResponseSize, 64<<10)),
		reqSize: s.RequestSize, respSize: s.ResponseSize, timeout: s.Timeout}
}

// block switches the closed loop to blocking system calls on the socket
// (see blockingSocket), bounded by the timeout through the socket's watch;
// the caller locks its OS thread and calls stop when the loop ends. On a
// connection without a socket it changes nothing.
func (x *rrConn) block() (sock *blockingSocket, stop func(), err error) {
	sock, err = newBlockingSocket(x.conn, 0)
	if err != nil {
		return nil, nil, err
	}
	x.rw = sock
	return sock, sock.watch(x.timeout), nil
}

// transact sends one request and reads its response, and fails when the
// response takes longer than the timeout. It does not allocate. On a
// blocking socket the socket's watch bounds it; otherwise the read
// deadline moves only when less than the timeout is left, to 2×timeout
// ahead, so a late response is caught within 2×timeout and the loop does
// not reset a timer per transaction.
func (x *rrConn) transact(t0 time.Time) error {
	if _, ok := x.rw.(*blockingSocket); !ok && x.deadline.Sub(t0) < x.timeout {
		x.deadline = t0.Add(2 * x.timeout)
		_ = x.conn.SetReadDeadline(x.deadline)
	}
	if err := writeN(x.rw, x.req, x.reqSize); err != nil {
		return fmt.Errorf("send request: %w", err)
	}
	return x.response()
}

func (x *rrConn) response() error {
	if err := readN(x.rw, x.resp, x.respSize); err != nil {
		if isTimeout(err) {
			return fmt.Errorf("no response within %v", x.timeout)
		}
		return fmt.Errorf("read response: %w", err)
	}
	return nil
}

// rrOpenLoop sends requests at their intended times from one goroutine and
// reads responses on this one. The server answers in order, so the channel
// of intended times pairs each response with its request; its capacity
// bounds the requests in flight. A request that waits for a free slot is
// still timed from its intended start.
func (lt *latencyTest) rrOpenLoop(conn net.Conn) error {
	x := newRRConn(conn, lt.spec)
	inflight := make(chan time.Time, lt.spec.MaxOutstanding)
	start := lt.begin(conn)
	sendErr := make(chan error, 1)
	var failed atomic.Bool
	go func() {
		defer close(inflight)
		sendErr <- lt.schedule(start, func(due time.Time) error {
			if failed.Load() {
				return errStopped
			}
			inflight <- due
			return writeN(conn, x.req, x.reqSize)
		})
	}()
	last := start
	for due := range inflight {
		_ = conn.SetReadDeadline(time.Now().Add(x.timeout))
		if err := x.response(); err != nil {
			failed.Store(true)
			_ = conn.SetDeadline(time.Now()) // a sender blocked in write returns
			for range inflight {
			}
			return err
		}
		last = time.Now()
		record(lt.hist, last.Sub(due))
	}
	if err := <-sendErr; err != nil {
		return fmt.Errorf("send request: %w", err)
	}
	lt.finish(last)
	return nil
}

// schedule calls send with each transaction's intended start, Rate per
// second from start, until the duration or the count ends the test or send
// fails. It never skips a transaction: a late one goes at once, and its
// lateness counts as latency. So that the client's own timer does not add
// lateness, the schedule runs on its own thread with the kernel's timer
// slack at 1 ns and sleeps with nanosleep(2): Go's timers may wake up to a
// millisecond late when the process is otherwise idle.
func (lt *latencyTest) schedule(start time.Time, send func(due time.Time) error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if old, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0); err == nil {
		_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
		defer unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(old), 0, 0, 0)
	}
	period := time.Duration(float64(time.Second) / lt.spec.Rate)
	end := lt.deadline(start)
	for n := int64(0); ; n++ {
		due := start.Add(time.Duration(n) * period)
		if !lt.more(n, due, end) {
			return nil
		}
		if d := time.Until(due); d > 0 {
			ts := unix.NsecToTimespec(int64(d))
			_ = unix.Nanosleep(&ts, nil)
		}
		if err := send(due); err != nil {
			return err
		}
	}
}

// errStopped ends a schedule whose test failed elsewhere.
var errStopped = errors.New("stopped")
