package engine

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/cnibench/cnibench/internal/iperf3"
)

// udpMux is the server's one UDP socket, shared by every UDP stream of
// every test: datagrams are routed by source address on one goroutine,
// without channels or copies, and sent with WriteTo. A single socket that
// demultiplexes by source address is wire-equivalent to iperf3's
// connected-socket-per-stream (see iperf3-protocol.md §6.1).
type udpMux struct {
	pc    *net.UDPConn
	setup sync.Mutex // one test sets up streams at a time

	mu      sync.Mutex
	streams map[netip.AddrPort]*stream
	hellos  chan net.Addr      // non-nil while a test is accepting
	lat     map[uint64]latPeer // udp-rr clients, by token
	done    chan struct{}
}

func newUDPMux(pc *net.UDPConn) *udpMux {
	m := &udpMux{pc: pc, streams: map[netip.AddrPort]*stream{}, done: make(chan struct{})}
	go m.loop()
	return m
}

// loop reads the shared socket until it is closed. Datagrams may come in
// coalesced batches (udpgro.go); a batch is one flow's, so it is routed once.
func (m *udpMux) loop() {
	defer close(m.done)
	buf := make([]byte, 65536)
	oob := make([]byte, groOOB)
	enableGRO(m.pc)
	for {
		n, seg, from, err := readBatch(m.pc, buf, oob)
		if err != nil {
			if isTimeout(err) {
				continue
			}
			return // closed
		}
		now := time.Now()
		m.mu.Lock()
		s := m.streams[from]
		hellos := m.hellos
		m.mu.Unlock()
		if s != nil {
			if run := s.run.Load(); run != nil {
				if seg < n {
					run.modes.use(modeUDPGRO)
				}
				eachDatagram(buf[:n], seg, func(d []byte) {
					if len(d) > 4 {
						s.deliver(run, d, now)
					}
				})
			}
			continue
		}
		addr := net.UDPAddrFromAddrPort(from)
		switch {
		case m.echoLatency(buf, n, addr):
		case hellos != nil && isUDPHello(buf[:n]):
			select {
			case hellos <- addr:
			default: // a flood of hellos: the test takes what it needs
			}
		}
		// Anything else is garbage or late: dropped.
	}
}

// isUDPHello reports whether a datagram is a UDP "connect" an iperf3
// client sends: "9876" (3.12+), or 123456789 as a host-order int32 (3.7 to
// 3.11, little- or big-endian hosts). iperf3's server takes any datagram;
// taking only these keeps stray 4-byte garbage from claiming the stream of
// a test that is setting up.
func isUDPHello(b []byte) bool {
	if len(b) != 4 {
		return false
	}
	h := [4]byte(b)
	return h == iperf3.UDPConnectMsg || h == iperf3.UDPLegacyConnect || h == [4]byte{0x07, 0x5b, 0xcd, 0x15}
}

// listen starts routing UDP connect datagrams to the caller.
func (m *udpMux) listen() <-chan net.Addr {
	ch := make(chan net.Addr, 2*MaxStreams)
	m.mu.Lock()
	m.hellos = ch
	m.mu.Unlock()
	return ch
}

// listen0 stops routing UDP connect datagrams.
func (m *udpMux) listen0() {
	m.mu.Lock()
	m.hellos = nil
	m.mu.Unlock()
}

func (m *udpMux) lookup(a net.Addr) (*stream, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.streams[addrKey(a)]
	return s, ok
}

func (m *udpMux) add(a net.Addr, s *stream) {
	m.mu.Lock()
	m.streams[addrKey(a)] = s
	m.mu.Unlock()
}

func (m *udpMux) remove(a net.Addr) {
	m.mu.Lock()
	delete(m.streams, addrKey(a))
	m.mu.Unlock()
}

func (m *udpMux) close() {
	m.pc.Close()
	<-m.done
}

// addrKey is the routing key of an address the loop handed out.
func addrKey(a net.Addr) netip.AddrPort {
	if ua, ok := a.(*net.UDPAddr); ok {
		return ua.AddrPort()
	}
	return netip.AddrPort{}
}
