package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/cnibench/cnibench/internal/iperf3"
)

// Server-side defaults for Limits' zero values.
const (
	defaultMaxDuration      = time.Hour
	defaultHandshakeTimeout = 10 * time.Second
	defaultIdleTimeout      = 2 * time.Minute
	safetyGrace             = 40 * time.Second // iperf3's grace beyond duration+omit
	maxPendingHandshakes    = 256              // connections that have not sent their cookie yet
	maxParamsSize           = 64 << 10         // params JSON; iperf3 3.18+ caps it at 8 KiB
)

func (l Limits) maxTests() int {
	if l.MaxTests > 0 {
		return l.MaxTests
	}
	return DefaultMaxTests
}

func (l Limits) maxSetupsPerSource() int {
	if l.MaxSetupsPerSource > 0 {
		return l.MaxSetupsPerSource
	}
	return max(2, l.maxTests()/4)
}

func (l Limits) maxStreams() int {
	if l.MaxStreams > 0 {
		return l.MaxStreams
	}
	return 2 * MaxStreams
}

func (l Limits) handshake() time.Duration {
	if l.HandshakeTimeout > 0 {
		return l.HandshakeTimeout
	}
	return defaultHandshakeTimeout
}

func (l Limits) idle() time.Duration {
	if l.IdleTimeout > 0 {
		return l.IdleTimeout
	}
	return defaultIdleTimeout
}

func (l Limits) maxDuration() time.Duration {
	if l.MaxDuration > 0 {
		return l.MaxDuration
	}
	return defaultMaxDuration
}

// serverState is one Serve call: its listener, tests and UDP socket.
type serverState struct {
	s       *Server
	ln      net.Listener
	log     *slog.Logger
	mu      sync.Mutex
	tests   map[string]*serverTest // by cookie
	setups  map[netip.Addr]int     // tests in setup, by client address
	latency map[netip.Addr]int     // latency connections, by client address
	pending int
	udp     map[string]*udpMux // by local IP: replies must leave from the address the client targeted
	accepts uint64             // connections accepted so far: data streams are ordered by it
	wg      sync.WaitGroup
	oneOff  context.CancelFunc
}

// Serve accepts control and data connections on ln until ctx ends, then
// waits for running tests to stop. UDP streams use ln's port on UDP.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st := &serverState{s: s, ln: ln, log: log, tests: map[string]*serverTest{}, setups: map[netip.Addr]int{}, oneOff: cancel}
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer st.wg.Wait()
	defer func() {
		for _, m := range st.udp {
			m.close()
		}
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			log.Warn("accept failed", "err", err)
			time.Sleep(10 * time.Millisecond) // e.g. EMFILE: do not spin
			continue
		}
		st.mu.Lock()
		if st.pending >= maxPendingHandshakes {
			st.mu.Unlock()
			conn.Close()
			continue
		}
		st.pending++
		st.accepts++
		seq := st.accepts
		st.mu.Unlock()
		st.wg.Add(1)
		go func() {
			defer st.wg.Done()
			st.handle(ctx, conn, seq)
		}()
	}
}

// ListenAndServe listens on address ("host:port", TCP) through the server's
// Network and serves until ctx ends. ready, if set, gets the bound address.
func (s *Server) ListenAndServe(ctx context.Context, address string, ready func(net.Addr)) error {
	var ln net.Listener
	err := s.network().Do(func() error {
		var lc net.ListenConfig
		var err error
		ln, err = lc.Listen(ctx, "tcp", address)
		return err
	})
	if err != nil {
		return fmt.Errorf("listen on %s: %w", address, err)
	}
	if ready != nil {
		ready(ln.Addr())
	}
	return s.Serve(ctx, ln)
}

func (s *Server) network() Network {
	if s.Network == nil {
		return HostNetwork{}
	}
	return s.Network
}

// handle reads a new connection's cookie and routes it: a data connection
// of a test that is accepting streams, or a new test's control connection.
func (st *serverState) handle(ctx context.Context, conn net.Conn, seq uint64) {
	lim := st.s.Limits
	_ = conn.SetDeadline(time.Now().Add(lim.handshake()))
	var buf [iperf3.CookieSize]byte
	_, err := io.ReadFull(conn, buf[:])
	st.mu.Lock()
	st.pending--
	st.mu.Unlock()
	if err != nil {
		st.log.Info("connection dropped before its cookie", "remote", conn.RemoteAddr(), "err", err)
		conn.Close()
		return
	}
	if isLatHello(buf[:]) {
		st.serveLatency(ctx, conn, buf[:])
		return
	}
	cookie, err := iperf3.ParseCookie(buf[:])
	if err != nil {
		st.log.Info("bad cookie", "remote", conn.RemoteAddr(), "err", err)
		conn.Close()
		return
	}
	st.mu.Lock()
	if t, ok := st.tests[cookie]; ok {
		st.mu.Unlock()
		t.offerData(dataConn{conn, seq})
		return
	}
	src := remoteIP(conn)
	refused := ""
	switch {
	case len(st.tests) >= lim.maxTests():
		refused = fmt.Sprintf("at max tests (%d)", lim.maxTests())
	case st.setups[src] >= lim.maxSetupsPerSource():
		refused = fmt.Sprintf("%d tests from %s already in setup", st.setups[src], src)
	}
	if refused != "" {
		st.mu.Unlock()
		st.log.Info("refused: "+refused, "remote", conn.RemoteAddr())
		_, _ = conn.Write([]byte{accessDenied})
		conn.Close()
		return
	}
	t := &serverTest{st: st, cookie: cookie, ctl: control{conn: conn}, src: src, inSetup: true}
	st.tests[cookie] = t
	st.setups[src]++
	st.mu.Unlock()
	res, err := t.serve(ctx)
	t.setupDone()
	st.mu.Lock()
	delete(st.tests, cookie)
	st.mu.Unlock()
	conn.Close()
	if err != nil {
		st.log.Warn("test failed", "remote", conn.RemoteAddr(), "err", err)
	} else {
		st.log.Info("test done", "remote", conn.RemoteAddr())
	}
	if st.s.OnTest != nil {
		st.s.OnTest(&ServerTest{Remote: conn.RemoteAddr().String(), Result: res, Err: err})
	}
	if st.s.OneOff {
		st.oneOff()
	}
}

// remoteIP is conn's peer address, unmapped (the zero Addr when it has none).
func remoteIP(conn net.Conn) netip.Addr {
	if ta, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// setupDone ends t's setup (once): its slot among its client's setups
// frees when the test starts running or ends, whichever comes first.
func (t *serverTest) setupDone() {
	t.st.mu.Lock()
	defer t.st.mu.Unlock()
	if !t.inSetup {
		return
	}
	t.inSetup = false
	if t.st.setups[t.src]--; t.st.setups[t.src] <= 0 {
		delete(t.st.setups, t.src)
	}
}

// udpSocket opens (once) the server's UDP socket for one local address, on
// the listener's port. Binding the address the client targeted (the control
// connection's local address) makes replies leave from it: a node with
// several addresses (a VXLAN node, say) could otherwise answer from another
// one, and the client's connected UDP socket would drop the replies.
func (st *serverState) udpSocket(local net.Addr) (*udpMux, error) {
	ip := net.IPv6unspecified
	if ta, ok := local.(*net.TCPAddr); ok {
		ip = ta.IP
	}
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	_, port, _ := net.SplitHostPort(st.ln.Addr().String())
	addr := net.JoinHostPort(ip.String(), port)
	st.mu.Lock()
	defer st.mu.Unlock()
	if m, ok := st.udp[addr]; ok {
		return m, nil
	}
	var pc net.PacketConn
	err := st.s.network().Do(func() error {
		lc := net.ListenConfig{Control: reuseAddr} // udp-rr sessions bind it too
		var err error
		pc, err = lc.ListenPacket(context.Background(), "udp", addr)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open UDP socket on %s: %w", addr, err)
	}
	uc, ok := pc.(*net.UDPConn)
	if !ok { // what ListenPacket("udp") returns; anything else cannot be read in batches
		pc.Close()
		return nil, fmt.Errorf("open UDP socket on %s: got a %T, not a UDP socket", addr, pc)
	}
	growUDPBuffers(uc, 0)
	if st.udp == nil {
		st.udp = map[string]*udpMux{}
	}
	st.udp[addr] = newUDPMux(uc)
	return st.udp[addr], nil
}
