package engine

import (
	"context"
	"errors"
	"io"
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
	if sock, err := newBlockingSocket(conn, 0); err == nil {
		defer sock.Close()
		return serveRRBlocking(ctx, sock, in, out, h, hard, idle)
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
// this goroutine's own OS thread, like the client's end: the socket's
// watch ends it when no byte has moved for the idle timeout, and the
// test's bound or ctx interrupts it.
func serveRRBlocking(ctx context.Context, sock *blockingSocket, in, out []byte, h latHello, hard time.Time, idle time.Duration) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer sock.watch(idle)()
	defer context.AfterFunc(ctx, func() { sock.Interrupt(ctx.Err()) })()
	bound := time.AfterFunc(time.Until(hard), func() { sock.Interrupt(os.ErrDeadlineExceeded) })
	defer bound.Stop()
	var pacer sysmonPacer
	for {
		pacer.pace(time.Now())
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
