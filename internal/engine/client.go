package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/cnibench/cnibench/internal/iperf3"
)

// handshakeTimeout is the default Client.HandshakeTimeout: how long each
// setup step may take where iperf3 3.12 would wait forever (the same 30 s
// iperf3 gives its UDP connect).
const handshakeTimeout = 30 * time.Second

func (c *Client) network() Network {
	if c.Network == nil {
		return HostNetwork{}
	}
	return c.Network
}

func (c *Client) handshake() time.Duration {
	if c.HandshakeTimeout > 0 {
		return c.HandshakeTimeout
	}
	return handshakeTimeout
}

// dialNetwork is the net.Dial network for a transport ("tcp" or "udp")
// restricted to the family -4/-6 asked for.
func dialNetwork(transport string, f Family) string {
	switch f {
	case IPv4:
		return transport + "4"
	case IPv6:
		return transport + "6"
	}
	return transport
}

// clientTest is one test as the client runs it.
type clientTest struct {
	c       *Client
	spec    Spec
	address string
	cookie  string
	ctl     control
	res     *Result
	run     *testRun
	cong    string
}

// Run runs one test against address ("host:port") and returns its result.
// On cancellation it tells the server (CLIENT_TERMINATE) and returns ctx's error.
func (c *Client) Run(ctx context.Context, address string, spec Spec) (*Result, error) {
	spec, err := spec.Normalize()
	if err != nil {
		return nil, err
	}
	cookie, err := iperf3.NewCookie()
	if err != nil {
		return nil, err
	}
	ct := &clientTest{c: c, spec: spec, address: address, cookie: cookie, res: &Result{Spec: spec, Cookie: cookie}}
	if spec.RTTProbes > 0 {
		// Before the control connection: the path is idle, and the
		// server has no test of ours to handle while it sees the probes.
		ct.res.ConnectRTT = c.probeRTT(ctx, address, spec)
		if c.OnConnectRTT != nil {
			c.OnConnectRTT(ct.res.ConnectRTT)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("test to %s interrupted: %w", address, ctx.Err())
		}
	}
	if err := ct.connect(ctx); err != nil {
		return nil, err
	}
	defer ct.ctl.conn.Close()
	stop := context.AfterFunc(ctx, func() {
		// Unblock whatever we wait on; the test loop sends CLIENT_TERMINATE.
		_ = ct.ctl.conn.SetDeadline(time.Now())
	})
	defer stop()
	res, err := ct.runTest(ctx)
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("test to %s interrupted: %w", address, ctx.Err())
	}
	return res, err
}

func (ct *clientTest) connect(ctx context.Context) error {
	timeout := ct.spec.ConnectTimeout
	if timeout == 0 {
		timeout = ct.c.handshake()
	}
	conn, _, err := ct.c.dialTCP(ctx, ct.address, ct.spec.Family, timeout)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", ct.address, err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
		ct.res.MSS = tcpMSS(tc)
	}
	ct.ctl = control{conn: conn}
	if ct.spec.Protocol == UDP && ct.spec.Length == 0 {
		ct.spec.Length = ct.res.MSS
		if ct.spec.Length < MinUDPLength || ct.spec.Length > MaxUDPLength {
			ct.spec.Length = DefaultUDPLength
		}
		ct.res.Spec = ct.spec
	}
	ct.res.Local, ct.res.Remote = conn.LocalAddr().String(), conn.RemoteAddr().String()
	return nil
}

func (ct *clientTest) runTest(ctx context.Context) (*Result, error) {
	ctl := ct.ctl
	ctl.deadline(ct.c.handshake())
	if _, err := ctl.conn.Write(iperf3.AppendCookie(nil, ct.cookie)); err != nil {
		return nil, fmt.Errorf("send cookie: %w", err)
	}
	if err := ctl.expect(iperf3.ParamExchange); err != nil {
		return nil, err
	}
	if err := iperf3.WriteMessage(ctl.conn, toParams(ct.spec)); err != nil {
		return nil, fmt.Errorf("send parameters: %w", err)
	}
	if err := ctl.expect(iperf3.CreateStreams); err != nil {
		return nil, err
	}
	streams, err := ct.openStreams(ctx)
	defer func() {
		for _, s := range streams {
			_ = s.conn.Close()
		}
	}()
	if err != nil {
		return nil, err
	}
	if err := ctl.expect(iperf3.TestStart); err != nil {
		return nil, err
	}
	if err := ctl.expect(iperf3.TestRunning); err != nil {
		return nil, err
	}
	ctl.deadline(0)
	ct.res.Start = time.Now()
	t := newTestRun(ct.spec, streams)
	t.onInterval = ct.c.OnInterval
	if hook := IntervalHook(ctx); hook != nil {
		if own := ct.c.OnInterval; own != nil {
			t.onInterval = func(iv Interval) { own(iv); hook(iv) }
		} else {
			t.onInterval = hook
		}
	}
	ct.run = t
	t.start()

	next, done := make(chan struct{}), make(chan struct{})
	defer close(done)
	msgs := ctl.reader(next, done)
	if err := ct.waitEnd(ctx, msgs); err != nil {
		t.closeAll()
		return nil, err
	}
	t.stopSenders()
	t.finish()
	if err := ctl.writeState(iperf3.TestEnd); err != nil {
		t.closeAll()
		return nil, err
	}
	peer, err := ct.exchange(msgs, next)
	t.closeAll()
	if err != nil {
		return nil, err
	}
	_ = ctl.writeState(iperf3.IperfDone)
	return ct.finishResult(peer), nil
}

// waitEnd waits for the test's end condition, a failure, or cancellation.
func (ct *clientTest) waitEnd(ctx context.Context, msgs <-chan ctrlMsg) error {
	t := ct.run
	var timeout <-chan time.Time
	if ct.spec.Bytes == 0 && ct.spec.Blocks == 0 {
		timer := time.NewTimer(ct.spec.Omit + ct.spec.Duration)
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case <-timeout:
		return nil
	case <-t.limitHit:
		return nil
	case <-t.failed:
		// A server that stops first says so on the control connection and
		// then closes the data sockets; the reset may reach a stream first.
		// Prefer the server's word to the stream's symptom.
		select {
		case m := <-msgs:
			if m.err == nil && m.state == iperf3.ServerTerminate {
				return errors.New("the server terminated the test (SERVER_TERMINATE)")
			}
		case <-time.After(200 * time.Millisecond):
		}
		_ = ct.ctl.writeState(iperf3.ClientTerminate)
		return t.err
	case m := <-msgs:
		if m.err != nil {
			return fmt.Errorf("during the test: %w", m.err)
		}
		if m.state == iperf3.ServerTerminate {
			return errors.New("the server terminated the test (SERVER_TERMINATE)")
		}
		return fmt.Errorf("protocol error: unexpected %v during the test", m.state)
	case <-ctx.Done():
		_ = ct.ctl.conn.SetDeadline(time.Time{})
		_ = ct.ctl.writeState(iperf3.ClientTerminate)
		return ctx.Err()
	}
}

// exchange runs EXCHANGE_RESULTS and waits for DISPLAY_RESULTS.
func (ct *clientTest) exchange(msgs <-chan ctrlMsg, next chan<- struct{}) (*iperf3.Results, error) {
	ctl := ct.ctl
	ctl.deadline(ct.c.handshake())
	m := <-msgs
	if m.err != nil {
		return nil, fmt.Errorf("waiting for results exchange: %w", m.err)
	}
	if m.state != iperf3.ExchangeResults {
		return nil, fmt.Errorf("protocol error: expected EXCHANGE_RESULTS, got %v", m.state)
	}
	if err := iperf3.WriteMessage(ctl.conn, ct.run.exchangeResults(ct.cong)); err != nil {
		return nil, fmt.Errorf("send results: %w", err)
	}
	var peer iperf3.Results
	if err := iperf3.ReadMessage(ctl.conn, iperf3.MaxMessageSize, &peer); err != nil {
		return nil, fmt.Errorf("read server results: %w", err)
	}
	next <- struct{}{}
	m = <-msgs
	if m.err != nil {
		return nil, fmt.Errorf("waiting for DISPLAY_RESULTS: %w", m.err)
	}
	if m.state != iperf3.DisplayResults {
		return nil, fmt.Errorf("protocol error: expected DISPLAY_RESULTS, got %v", m.state)
	}
	return &peer, nil
}

func (ct *clientTest) finishResult(peer *iperf3.Results) *Result {
	r := ct.run.result(peer)
	r.Cookie, r.Start, r.End = ct.cookie, ct.res.Start, time.Now()
	r.Local, r.Remote, r.MSS = ct.res.Local, ct.res.Remote, ct.res.MSS
	r.Connected = ct.res.Connected
	r.ConnectRTT = ct.res.ConnectRTT
	if ct.spec.Protocol == TCP {
		clientSends := !ct.spec.Reverse
		if clientSends {
			r.SenderCongestion, r.ReceiverCongestion = ct.cong, peer.CongestionUsed
		} else {
			r.SenderCongestion, r.ReceiverCongestion = peer.CongestionUsed, ct.cong
		}
	}
	r.ServerOutputJSON, r.ServerOutputText = peer.ServerOutputJSON, peer.ServerOutputText
	return r
}

// openStreams opens every data stream in order after CREATE_STREAMS.
func (ct *clientTest) openStreams(ctx context.Context) ([]*stream, error) {
	var streams []*stream
	for i := range totalStreams(ct.spec) {
		conn, err := ct.openStream(ctx)
		if err != nil {
			return streams, fmt.Errorf("open data stream %d: %w", i+1, err)
		}
		s := newStream(streamID(i), streamSends(ct.spec, i), ct.spec, conn)
		streams = append(streams, s)
		ct.res.Connected = append(ct.res.Connected, Connection{ID: s.id, Local: conn.LocalAddr().String(), Remote: conn.RemoteAddr().String()})
	}
	return streams, nil
}

func (ct *clientTest) openStream(ctx context.Context) (net.Conn, error) {
	var conn net.Conn
	if ct.spec.Protocol == UDP {
		err := ct.c.network().Do(func() error {
			var d net.Dialer
			var err error
			conn, err = d.DialContext(ctx, dialNetwork("udp", ct.spec.Family), ct.ctl.conn.RemoteAddr().String())
			return err
		})
		if err != nil {
			return nil, err
		}
		growUDPBuffers(conn.(*net.UDPConn), ct.spec.Window)
		if err := udpHello(conn, ct.spec.Reverse, ct.c.handshake(), ct.ctl.pending); err != nil {
			conn.Close()
			return nil, err
		}
		return conn, nil
	}
	d := net.Dialer{Timeout: ct.c.handshake(), Control: tcpControl(ct.spec)}
	err := ct.c.network().Do(func() error {
		var err error
		conn, err = d.DialContext(ctx, dialNetwork("tcp", ct.spec.Family), ct.ctl.conn.RemoteAddr().String())
		return err
	})
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write(iperf3.AppendCookie(nil, ct.cookie)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("send cookie: %w", err)
	}
	cong, err := setCongestion(conn.(*net.TCPConn), ct.spec.Congestion)
	if err != nil {
		conn.Close()
		return nil, err
	}
	ct.cong = cong
	return conn, nil
}

// helloResend is how long the client waits for the reply to its UDP
// connect before it sends the connect again. A connect is one datagram: a
// server socket still full of the last test's flood drops it, and iperf3
// (which never resends) then waits out its timeout. A second connect that
// reaches a server which already took the first is data to iperf3 (3.12 to
// 3.20 count a 4-byte datagram read while the test runs); cnibench ignores
// it. So the client resends only after a second without a reply and only
// while the server has not started the test on the control connection.
const helloResend = time.Second

// udpHello does iperf3's UDP "connect": send "9876", wait for "6789" (or the
// legacy reply); a reverse test may see data datagrams first. started says
// whether the server has already begun the test (then it took the connect,
// and only its reply is missing).
func udpHello(conn net.Conn, reverse bool, timeout time.Duration, started func() bool) error {
	send := func() error {
		if _, err := conn.Write(iperf3.UDPConnectMsg[:]); err != nil {
			return fmt.Errorf("send UDP connect: %w", err)
		}
		return nil
	}
	if err := send(); err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	resend := time.Now().Add(helloResend)
	defer conn.SetReadDeadline(time.Time{})
	buf := make([]byte, 65536)
	tries := 1
	if reverse {
		tries = 3
	}
	for seen := 0; seen < tries; {
		_ = conn.SetReadDeadline(earliest(deadline, resend))
		n, err := conn.Read(buf)
		if err != nil {
			if isTimeout(err) && time.Now().Before(deadline) {
				if started == nil || !started() {
					if err := send(); err != nil {
						return err
					}
				}
				resend = time.Now().Add(helloResend)
				continue
			}
			return fmt.Errorf("no UDP connect reply from the server (is UDP blocked?): %w", err)
		}
		seen++
		if n == 4 && iperf3.IsUDPReply(buf[:4]) {
			return nil
		}
		if n == 4 && !bytes.Equal(buf[:4], iperf3.UDPConnectMsg[:]) {
			return nil // iperf3 3.7 clients accept any reply; so do we
		}
	}
	return errors.New("no UDP connect reply among the first datagrams")
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
