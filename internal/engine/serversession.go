package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/cnibench/cnibench/internal/iperf3"
)

// serverTest is one test session as the server runs it: from the
// client's cookie through the exchange of results.
type serverTest struct {
	st     *serverState
	cookie string
	ctl    control
	src    netip.Addr // the client's address
	// inSetup: the test counts among its client's setups (guarded by st.mu).
	inSetup bool
	spec    Spec
	// congestion is the TCP congestion control the data sockets use.
	congestion string
	// udp is the socket the test's UDP streams use, if any.
	udp *udpMux

	mu        sync.Mutex
	accepting bool
	wanted    int
	data      chan dataConn // while accepting: buffered to the stream count
}

// dataConn is a data connection and its place in the listener's accept
// order. Cookies are read concurrently, so arrival at the test can differ
// from the order the client opened the streams; the accept order cannot.
type dataConn struct {
	net.Conn
	seq uint64
}

// offerData hands a data connection to the test, or refuses it like
// iperf3 does (ACCESS_DENIED) when the test is not opening streams or
// already has them all.
func (t *serverTest) offerData(conn dataConn) {
	t.mu.Lock()
	if t.accepting && t.wanted > 0 {
		// Sent under the lock, so that acceptStreams, which stops
		// accepting under it too, finds every conn offered to it.
		t.wanted--
		t.data <- conn // buffered to the stream count: never blocks
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	_, _ = conn.Write([]byte{accessDenied})
	conn.Close()
}

func (t *serverTest) refuse(se *ServerError, err error) error {
	b := iperf3.AppendServerError(nil, se.Code, se.Errno)
	// The refusal often follows a read that timed out; give the write a
	// deadline of its own so the client still learns why.
	_ = t.ctl.conn.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = t.ctl.conn.Write(b)
	return err
}

func (t *serverTest) serve(ctx context.Context) (*Result, error) {
	lim := t.st.s.Limits
	ctl := t.ctl
	stop := context.AfterFunc(ctx, func() {
		_ = ctl.writeState(iperf3.ServerTerminate)
		_ = ctl.conn.SetDeadline(time.Now())
	})
	defer stop()
	ctl.deadline(lim.handshake())
	if err := ctl.writeState(iperf3.ParamExchange); err != nil {
		return nil, err
	}
	var p iperf3.Params
	if err := iperf3.ReadMessage(ctl.conn, maxParamsSize, &p); err != nil {
		return nil, t.refuse(&ServerError{Code: 114}, fmt.Errorf("read parameters: %w", err))
	}
	spec, se, err := fromParams(p, lim)
	if err != nil {
		return nil, t.refuse(se, fmt.Errorf("parameters refused: %w", err))
	}
	t.spec = spec
	streams, err := t.acceptStreams()
	defer func() {
		for _, s := range streams {
			if s.conn != nil {
				s.conn.Close()
			}
		}
	}()
	// Also when setup failed: a UDP stream left in the demultiplexer would
	// swallow the next hello from its address.
	defer t.releaseUDP(streams)
	if err != nil {
		return nil, err
	}
	// The run exists before the client may send: the UDP demultiplexer
	// drops datagrams of a stream without one, and a dropped first datagram
	// would be reported as the network's loss (a client sends as soon as it
	// reads TEST_RUNNING, while this goroutine may not have run yet).
	run := newTestRun(spec, streams)
	if err := ctl.writeState(iperf3.TestStart); err != nil {
		return nil, err
	}
	if err := ctl.writeState(iperf3.TestRunning); err != nil {
		return nil, err
	}
	t.setupDone()
	run.idle = lim.idle()
	start := time.Now()
	run.start()
	if err := t.waitEnd(run); err != nil {
		run.closeAll()
		return nil, err
	}
	if spec.bounded() && spec.Protocol == TCP && run.receives() {
		run.drainReceivers(time.Now())
	}
	run.stopSenders()
	run.finish()
	run.closeAll()
	return t.exchange(run, start)
}

// waitEnd waits for TEST_END, bounded by the safety timer.
func (t *serverTest) waitEnd(run *testRun) error {
	lim := t.st.s.Limits
	safety := lim.maxDuration() + safetyGrace
	if t.spec.Bytes == 0 && t.spec.Blocks == 0 {
		safety = t.spec.Duration + t.spec.Omit + safetyGrace
	}
	t.ctl.deadline(safety)
	next, done := make(chan struct{}), make(chan struct{})
	defer close(done)
	msgs := t.ctl.reader(next, done)
	select {
	case m := <-msgs:
		switch {
		case m.err != nil:
			if isTimeout(m.err) {
				return fmt.Errorf("test exceeded its duration by %v: dropped", safetyGrace)
			}
			return m.err
		case m.state == iperf3.TestEnd:
			return nil
		case m.state == iperf3.ClientTerminate:
			return errors.New("the client terminated the test (CLIENT_TERMINATE)")
		default:
			return fmt.Errorf("protocol error: unexpected %v during the test", m.state)
		}
	case <-run.failed:
		_ = t.ctl.writeState(iperf3.ServerTerminate)
		return run.err
	}
}

// exchange runs EXCHANGE_RESULTS and DISPLAY_RESULTS and waits for IPERF_DONE.
func (t *serverTest) exchange(run *testRun, start time.Time) (*Result, error) {
	ctl := t.ctl
	ctl.deadline(t.st.s.Limits.handshake())
	if err := ctl.writeState(iperf3.ExchangeResults); err != nil {
		return nil, err
	}
	var peer iperf3.Results
	if err := iperf3.ReadMessage(ctl.conn, iperf3.MaxMessageSize, &peer); err != nil {
		return nil, t.refuse(&ServerError{Code: iperf3.ErrnoRecvResults}, fmt.Errorf("read client results: %w", err))
	}
	res := run.result(&peer)
	res.Cookie, res.Start, res.End = t.cookie, start, time.Now()
	res.Local, res.Remote = ctl.conn.LocalAddr().String(), ctl.conn.RemoteAddr().String()
	if t.spec.Protocol == TCP {
		res.SenderCongestion, res.ReceiverCongestion = peer.CongestionUsed, t.congestion
		if t.spec.Reverse || t.spec.Bidir {
			res.SenderCongestion, res.ReceiverCongestion = t.congestion, peer.CongestionUsed
		}
	}
	mine := run.exchangeResults(t.congestion)
	if t.spec.GetServerOutput {
		if t.st.s.JSONOutput {
			mine.ServerOutputJSON, _ = ReportJSON(res, ServerRole)
		} else {
			mine.ServerOutputText = FormatText(res, ServerRole)
		}
	}
	if err := iperf3.WriteMessage(ctl.conn, mine); err != nil {
		return res, fmt.Errorf("send results: %w", err)
	}
	if err := ctl.writeState(iperf3.DisplayResults); err != nil {
		return res, err
	}
	// IPERF_DONE is a courtesy: a client that closes instead still gets its results.
	_ = ctl.expect(iperf3.IperfDone)
	return res, nil
}
