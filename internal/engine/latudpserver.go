package engine

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// errUDPRREnded interrupts a udp-rr session's socket when its test ends.
var errUDPRREnded = errors.New("udp-rr test ended")

// serveUDPRR registers a token for the client's datagrams on the UDP
// socket of the address it targeted, and holds it until the client closes
// the TCP connection (or the test's bound passes, or ctx ends: both end
// that connection's reads).
//
// The shared socket answers the first requests through Go's netpoller.
// From the first one on the session also opens a UDP socket of its own,
// bound to the same address and port and connected to the client's
// address, and answers from it with blocking system calls on a locked OS
// thread, as rr does (see blockingSocket): the kernel gives a datagram to
// the socket that matches its addresses best, so the client's later
// requests reach that socket, never the netpoller (iperf3 connects a
// socket per UDP stream the same way). If it cannot be opened, the shared
// socket goes on answering.
func (st *serverState) serveUDPRR(conn net.Conn, h latHello, src netip.Addr) error {
	mux, err := st.udpSocket(conn.LocalAddr())
	if err != nil {
		_ = writeLatAck(conn, latAck{code: latRefusedInternal})
		return err
	}
	token := rand.Uint64() | 1 // never 0
	first := make(chan *net.UDPAddr, 1)
	mux.addLatency(token, latPeer{ip: src, size: h.response, first: first})
	defer mux.removeLatency(token)
	if err := writeLatAck(conn, latAck{ok: true, token: token}); err != nil {
		return err
	}
	closed := make(chan error, 1)
	go func() { closed <- waitClosed(conn) }()
	var peer *net.UDPAddr
	select {
	case err := <-closed:
		return err
	case peer = <-first:
	}
	sock, err := st.connectedUDP(mux.pc.LocalAddr(), peer, st.s.Limits.idle())
	if err != nil {
		st.log.Debug("udp-rr: answering through the shared UDP socket", "remote", peer, "err", err)
		return <-closed
	}
	defer sock.Close()
	echoed := make(chan error, 1)
	go func() { echoed <- echoUDPRR(sock, token, h.response) }()
	select {
	case err = <-closed:
		sock.Interrupt(errUDPRREnded)
		<-echoed
	case err = <-echoed: // the socket failed: the shared one answers
		st.log.Debug("udp-rr: session socket failed", "remote", peer, "err", err)
		err = <-closed
	}
	return err
}

// waitClosed reads conn until the peer closes it (nil) or a read fails.
func waitClosed(conn net.Conn) error {
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

// connectedUDP opens a blocking UDP socket on local, connected to peer.
// Both it and the shared socket on local set SO_REUSEADDR, which lets
// them share the address.
func (st *serverState) connectedUDP(local net.Addr, peer *net.UDPAddr, timeout time.Duration) (*blockingSocket, error) {
	var conn net.Conn
	err := st.s.network().Do(func() error {
		d := net.Dialer{LocalAddr: local, Control: reuseAddr}
		var err error
		conn, err = d.Dial("udp", peer.String())
		return err
	})
	if err != nil {
		return nil, err
	}
	sock, err := newBlockingSocket(conn, timeout)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return sock, nil
}

// reuseAddr is a net.Dialer/ListenConfig Control that sets SO_REUSEADDR.
func reuseAddr(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	}); err != nil {
		return err
	}
	return serr
}

// echoUDPRR answers the requests carrying token on sock until it is
// interrupted, on this goroutine's own OS thread. Timeouts and the
// client's port going away (ECONNREFUSED from an ICMP error) do not end
// it; anything that does not carry the token is dropped.
func echoUDPRR(sock *blockingSocket, token uint64, size int) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	buf := make([]byte, max(size, MaxUDPLength+1))
	var pacer sysmonPacer
	for {
		pacer.pace(time.Now())
		n, err := sock.Read(buf)
		if err == nil {
			tok, _, ok := parseUDPRR(buf[:n])
			if !ok || tok != token {
				continue
			}
			if size > n {
				clear(buf[n:size])
			}
			_, err = sock.Write(buf[:size])
		}
		if err != nil && !isTimeout(err) && !isBufferFull(err) && !errors.Is(err, unix.ECONNREFUSED) {
			return err
		}
	}
}

// latPeer is a udp-rr client the server echoes: datagrams carrying its
// token are answered only to its address (any port: NAT may change it), so
// the server cannot be used to send larger responses to someone else. The
// shared socket tells first the address of each request it answers, as
// long as first has room.
type latPeer struct {
	ip    netip.Addr
	size  int
	first chan<- *net.UDPAddr
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
	if p.first != nil {
		select {
		case p.first <- ua:
		default:
		}
	}
	return true
}
