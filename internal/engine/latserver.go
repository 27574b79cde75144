package engine

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"runtime"
	"time"
)

// defaultMaxLatencyPerSource is Limits.MaxLatencyPerSource's default.
const defaultMaxLatencyPerSource = 64

func (l Limits) maxLatencyPerSource() int {
	if l.MaxLatencyPerSource > 0 {
		return l.MaxLatencyPerSource
	}
	return defaultMaxLatencyPerSource
}

// serveLatency serves a connection that opened with a latency hello b. Each
// latency connection has its own goroutine and deadlines, so a client that
// stalls holds only its own connections.
func (st *serverState) serveLatency(ctx context.Context, conn net.Conn, b []byte) {
	defer conn.Close()
	h, err := parseLatHello(b)
	if err != nil {
		st.log.Info("refused latency hello", "remote", conn.RemoteAddr(), "err", err)
		writeLatAck(conn, latAck{code: latRefusedBadHello})
		return
	}
	lim := st.s.Limits
	src := remoteIP(conn)
	if !st.latencyAcquire(src) {
		st.log.Info("refused latency connection: at the limit per client", "remote", conn.RemoteAddr(), "limit", lim.maxLatencyPerSource())
		if h.ack {
			writeLatAck(conn, latAck{code: latRefusedBusy, detail: uint32(lim.maxLatencyPerSource())})
		}
		return
	}
	defer st.latencyRelease(src)
	bound := lim.handshake() // a crr transaction
	switch {
	case h.mode == CRR:
	case time.Duration(h.durationMs)*time.Millisecond > lim.maxDuration():
		writeLatAck(conn, latAck{code: latRefusedTooLong, detail: uint32(lim.maxDuration() / time.Second)})
		return
	case h.durationMs == 0:
		bound = lim.maxDuration()
	default:
		bound = time.Duration(h.durationMs)*time.Millisecond + safetyGrace
	}
	hard := time.Now().Add(bound)
	_ = conn.SetDeadline(hard)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	switch h.mode {
	case RR:
		err = writeLatAck(conn, latAck{ok: true})
		if err == nil {
			err = serveRR(ctx, conn, h, hard, lim.idle())
		}
	case CRR:
		err = serveCRR(conn, h)
	case UDPRR:
		err = st.serveUDPRR(conn, h, src)
	}
	if err != nil {
		st.log.Info("latency connection ended", "remote", conn.RemoteAddr(), "mode", h.mode, "err", err)
	}
	if st.s.OnLatency != nil {
		st.s.OnLatency(conn.RemoteAddr().String(), h.mode, err)
	}
}

func writeLatAck(conn net.Conn, a latAck) error {
	_, err := conn.Write(a.append(make([]byte, 0, latAckSize)))
	return err
}

// latencyAcquire takes one of src's latency connection slots.
func (st *serverState) latencyAcquire(src netip.Addr) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.latency[src] >= st.s.Limits.maxLatencyPerSource() {
		return false
	}
	if st.latency == nil {
		st.latency = map[netip.Addr]int{}
	}
	st.latency[src]++
	return true
}

func (st *serverState) latencyRelease(src netip.Addr) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.latency[src]--; st.latency[src] <= 0 {
		delete(st.latency, src)
	}
}

// serveRR answers requests until the client closes at a request boundary.
// The read deadline moves with each request (Limits.IdleTimeout) up to the
// test's bound; it is refreshed only when half of it is used, so the loop
// does not reset a timer per transaction.
func serveRR(ctx context.Context, conn net.Conn, h latHello, hard time.Time, idle time.Duration) error {
	in, out := make([]byte, min(h.request, 64<<10)), make([]byte, min(h.response, 64<<10))
	if sock, err := newBlockingSocket(conn, idle); err == nil {
		defer sock.Close()
		return serveRRBlocking(ctx, sock, in, out, h, hard)
	}
	var deadline time.Time
	for {
		if now := time.Now(); deadline.Before(hard) && deadline.Sub(now) < idle/2 {
			deadline = now.Add(idle)
			if deadline.After(hard) {
				deadline = hard
			}
			_ = conn.SetDeadline(deadline)
		}
		if err := readN(conn, in, h.request); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := writeN(conn, out, h.response); err != nil {
			return err
		}
	}
}

// serveRRBlocking is serveRR on a blocking socket (see blockingSocket) on
// this goroutine's own OS thread, like the client's end: each read waits
// at most the idle timeout, and the test's bound or ctx interrupts it.
func serveRRBlocking(ctx context.Context, sock *blockingSocket, in, out []byte, h latHello, hard time.Time) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer context.AfterFunc(ctx, func() { sock.Interrupt(ctx.Err()) })()
	bound := time.AfterFunc(time.Until(hard), func() { sock.Interrupt(os.ErrDeadlineExceeded) })
	defer bound.Stop()
	for {
		if err := readN(sock, in, h.request); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := writeN(sock, out, h.response); err != nil {
			return err
		}
	}
}

// serveCRR answers one transaction and closes first, so the TIME_WAIT
// state stays here and the client's ports are free at once. A hello that
// asked for an ack is the client's check of the peer: it closes after it.
func serveCRR(conn net.Conn, h latHello) error {
	if h.ack {
		if err := writeLatAck(conn, latAck{ok: true}); err != nil {
			return err
		}
	}
	buf := make([]byte, min(max(h.request, h.response), 64<<10))
	if err := readN(conn, buf, h.request); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	clear(buf)
	return writeN(conn, buf, h.response)
}

// serveUDPRR registers a token for the client's datagrams on the UDP
// socket of the address it targeted, and holds it until the client closes
// the TCP connection (or the test's bound passes).
func (st *serverState) serveUDPRR(conn net.Conn, h latHello, src netip.Addr) error {
	mux, err := st.udpSocket(conn.LocalAddr())
	if err != nil {
		_ = writeLatAck(conn, latAck{code: latRefusedInternal})
		return err
	}
	token := rand.Uint64() | 1 // never 0
	mux.addLatency(token, latPeer{ip: src, size: h.response})
	defer mux.removeLatency(token)
	if err := writeLatAck(conn, latAck{ok: true, token: token}); err != nil {
		return err
	}
	var b [1]byte
	for {
		if _, err := conn.Read(b[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// latPeer is a udp-rr client the server echoes: datagrams carrying its
// token are answered only to its address (any port: NAT may change it), so
// the server cannot be used to send larger responses to someone else.
type latPeer struct {
	ip   netip.Addr
	size int
}

func (m *udpMux) addLatency(token uint64, p latPeer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lat == nil {
		m.lat = map[uint64]latPeer{}
	}
	m.lat[token] = p
}

func (m *udpMux) removeLatency(token uint64) {
	m.mu.Lock()
	delete(m.lat, token)
	m.mu.Unlock()
}

// echoLatency answers a udp-rr request in buf[:n] (buf has room for any
// response) and reports whether the datagram was one.
func (m *udpMux) echoLatency(buf []byte, n int, addr net.Addr) bool {
	token, _, ok := parseUDPRR(buf[:n])
	if !ok {
		return false
	}
	m.mu.Lock()
	p, ok := m.lat[token]
	m.mu.Unlock()
	if !ok {
		return false
	}
	ua, _ := addr.(*net.UDPAddr)
	if ua == nil || ua.AddrPort().Addr().Unmap() != p.ip {
		return true // a token from another address: dropped
	}
	if p.size > n {
		clear(buf[n:p.size])
	}
	_, _ = m.pc.WriteTo(buf[:p.size], addr)
	return true
}

// readN reads exactly n bytes through buf (reused when n > len(buf)). It
// returns io.EOF when the peer closed before the first byte,
// io.ErrUnexpectedEOF when it closed in the middle.
func readN(r io.Reader, buf []byte, n int) error {
	for got := 0; got < n; {
		k, err := r.Read(buf[:min(len(buf), n-got)])
		got += k
		if err != nil {
			switch {
			case got >= n:
				return nil
			case errors.Is(err, io.EOF) && got > 0:
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// writeN writes n bytes from buf (repeated when n > len(buf)).
func writeN(w io.Writer, buf []byte, n int) error {
	for n > 0 {
		k, err := w.Write(buf[:min(len(buf), n)])
		if err != nil {
			return err
		}
		n -= k
	}
	return nil
}
