package engine

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/cnibench/cnibench/internal/iperf3"
)

// errnoStreamAccept is iperf3's IESTREAMACCEPT, "unable to accept stream
// connection": the client did not open its streams in time.
const errnoStreamAccept int32 = 204

// acceptStreams sends CREATE_STREAMS and collects the test's data streams
// in arrival order, which is the order the client opened them.
func (t *serverTest) acceptStreams() ([]*stream, error) {
	n := totalStreams(t.spec)
	if t.spec.Protocol == UDP {
		return t.acceptUDP(n)
	}
	data := make(chan dataConn, n)
	t.mu.Lock()
	t.accepting, t.wanted, t.data = true, n, data
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		t.accepting = false
		t.mu.Unlock()
		// Connections offered after we stopped reading (on a timeout).
		for {
			select {
			case c := <-data:
				c.Close()
			default:
				return
			}
		}
	}()
	if err := t.ctl.writeState(iperf3.CreateStreams); err != nil {
		return nil, err
	}
	var conns []dataConn
	timeout := time.NewTimer(t.st.s.Limits.handshake())
	defer timeout.Stop()
	for len(conns) < n {
		select {
		case c := <-data:
			conns = append(conns, c)
		case <-timeout.C:
			for _, c := range conns {
				c.Close()
			}
			return nil, t.refuse(&ServerError{Code: errnoStreamAccept},
				fmt.Errorf("client opened %d of %d data streams within %v", len(conns), n, t.st.s.Limits.handshake()))
		}
	}
	slices.SortFunc(conns, func(a, b dataConn) int { return cmp.Compare(a.seq, b.seq) })
	var streams []*stream
	for i, c := range conns {
		_ = c.SetDeadline(time.Time{})
		s := newStream(streamID(i), !streamSends(t.spec, i), t.spec, c.Conn)
		streams = append(streams, s)
	}
	for _, s := range streams {
		if err := t.setupTCP(s); err != nil {
			return streams, t.refuse(&ServerError{Code: 201}, err)
		}
	}
	return streams, nil
}

// setupTCP applies the test's options to an accepted data socket.
func (t *serverTest) setupTCP(s *stream) error {
	if s.tcp == nil {
		return nil
	}
	if err := withFD(s.tcp, func(fd int) error { return applyTCPOptions(fd, t.spec) }); err != nil {
		return err
	}
	cong, err := setCongestion(s.tcp, t.spec.Congestion)
	if err != nil {
		// iperf3's server only warns about an unknown algorithm.
		t.st.log.Warn("congestion control not set", "err", err)
		cong, _ = setCongestion(s.tcp, "")
	}
	t.congestion = cong
	return nil
}

// acceptUDP answers the client's UDP "connect" datagrams on the shared
// socket. One test at a time sets up UDP streams, so each hello belongs to
// the test that is waiting for it.
func (t *serverTest) acceptUDP(n int) ([]*stream, error) {
	mux, err := t.st.udpSocket(t.ctl.conn.LocalAddr())
	if err != nil {
		return nil, t.refuse(&ServerError{Code: 202}, err)
	}
	t.udp = mux
	mux.setup.Lock()
	defer mux.setup.Unlock()
	hellos := mux.listen()
	defer mux.listen0()
	if err := t.ctl.writeState(iperf3.CreateStreams); err != nil {
		return nil, err
	}
	var streams []*stream
	timeout := time.NewTimer(t.st.s.Limits.handshake())
	defer timeout.Stop()
	for i := 0; i < n; {
		select {
		case addr := <-hellos:
			if _, dup := mux.lookup(addr); dup {
				continue
			}
			s := newStream(streamID(i), !streamSends(t.spec, i), t.spec, nil)
			s.pc, s.raddr = mux.pc, addr
			mux.add(addr, s)
			streams = append(streams, s)
			if _, err := mux.pc.WriteTo(iperf3.UDPReplyMsg[:], addr); err != nil {
				return streams, fmt.Errorf("reply to UDP connect from %v: %w", addr, err)
			}
			i++
		case <-timeout.C:
			return streams, t.refuse(&ServerError{Code: errnoStreamAccept},
				fmt.Errorf("client opened %d of %d UDP streams within %v", i, n, t.st.s.Limits.handshake()))
		}
	}
	return streams, nil
}

// releaseUDP removes a finished test's streams from the demultiplexer.
func (t *serverTest) releaseUDP(streams []*stream) {
	if t.udp == nil {
		return
	}
	for _, s := range streams {
		if s.raddr != nil {
			t.udp.remove(s.raddr)
		}
	}
}
