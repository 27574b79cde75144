package engine

import (
	"crypto/rand"
	"errors"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cnibench/cnibench/internal/iperf3"
)

// recvBufSize is the read size for TCP receivers: large reads cut syscalls
// and netpoller wake-ups whatever block size the sender uses.
const recvBufSize = 1 << 20

// stream is one data stream: its socket, its direction and its counters.
// Counters are atomics written by the stream's goroutine and read by the
// sampler, so the hot loop takes no lock and reads no clock.
type stream struct {
	id     int
	sender bool // the local side sends on it
	udp    bool
	conn   net.Conn     // TCP, or the client's connected UDP socket
	tcp    *net.TCPConn // set for TCP
	// Server-side UDP: datagrams leave through the shared socket to raddr
	// and arrive through the server's demultiplexer.
	pc    net.PacketConn
	raddr net.Addr
	run   atomic.Pointer[testRun] // set when the data phase starts (the server's UDP demultiplexer reads it)

	length     int
	rate       uint64 // bits/s, 0 = unlimited
	zeroCopy   bool   // send TCP with sendfile(2), like iperf3 -Z
	discard    bool   // receive TCP without the copy (Spec.Discard)
	counters64 bool

	bytes   atomic.Uint64 // moved since data started
	packets atomic.Int64  // UDP datagrams sent
	recv    udpReceiver   // UDP receiving side
	tcpinfo tcpAccumulator
	// lastRead is when a draining receiver last read a byte (unix ns).
	lastRead atomic.Int64
	lw       *lowat // a TCP receiver's adaptive SO_RCVLOWAT (rcvlowat.go)
}

func newStream(id int, sender bool, spec Spec, conn net.Conn) *stream {
	s := &stream{id: id, sender: sender, udp: spec.Protocol == UDP, conn: conn, length: spec.Length, rate: spec.Rate, zeroCopy: spec.ZeroCopy, discard: spec.Discard, counters64: spec.UDPCounters64}
	if tc, ok := conn.(*net.TCPConn); ok {
		s.tcp = tc
		if !sender {
			s.lw = newLowat(tc)
		}
	}
	return s
}

// payload is a buffer of random bytes (like iperf3's default payload), so
// compressing links cannot flatter the result.
func payload(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// loop moves data until stop is closed or the socket fails. limit, when set,
// is called after each write or read with the bytes moved.
func (s *stream) loop(t *testRun) error {
	switch {
	case s.udp && s.sender:
		return s.sendUDP(t)
	case s.udp:
		if s.pc != nil {
			return nil // the server's demultiplexer feeds this stream
		}
		return s.recvUDP(t)
	case s.sender:
		return s.sendTCP(t)
	default:
		return s.recvTCP(t)
	}
}

func (s *stream) sendTCP(t *testRun) error {
	buf := payload(s.length)
	write := func() (int, error) { return s.conn.Write(buf) }
	if s.tcp != nil && s.zeroCopy {
		if fs, err := newFileSource(buf); err == nil {
			defer fs.Close()
			t.modes.use(modeSendfile)
			write = func() (int, error) { n, err := fs.sendTo(s.tcp); return int(n), err }
		}
	}
	p := newPacer(s.rate, t.dataStart)
	for !t.stopping.Load() && !t.limitReached() {
		if p != nil && !p.wait(s.bytes.Load(), t) {
			return nil
		}
		n, err := write()
		s.bytes.Add(uint64(n))
		t.count(n)
		if err != nil {
			return t.streamErr(s, err)
		}
	}
	return nil
}

func (s *stream) recvTCP(t *testRun) error {
	var buf []byte // a discarding reader writes none
	read := s.conn.Read
	if s.discard && s.tcp != nil {
		d, err := newDiscardReader(s.tcp)
		if err != nil {
			return t.streamErr(s, err)
		}
		read = d.Read
		t.modes.use(modeTCPDiscard)
	} else {
		buf = make([]byte, max(recvBufSize, s.length))
	}
	for {
		n, err := read(buf)
		if !t.draining.Load() && s.lw.observe(n) {
			t.modes.use(modeTCPRcvLowat)
		}
		if !t.frozen.Load() {
			if n > 0 {
				t.received(time.Now)
			}
			s.bytes.Add(uint64(n))
			t.count(n)
		}
		if t.draining.Load() {
			if n > 0 {
				s.lastRead.Store(time.Now().UnixNano())
				_ = s.conn.SetReadDeadline(t.drainDeadline())
			}
			if err != nil && isTimeout(err) {
				return nil // drained: nothing more came
			}
		}
		if err != nil {
			return t.streamErr(s, err)
		}
	}
}

// sendUDP paces datagrams to the stream's rate. The client's connected
// socket writes them in segmented batches when the kernel allows (see
// udpgso.go); a test bounded by bytes or blocks, and the server's shared
// socket, write one at a time.
func (s *stream) sendUDP(t *testRun) error {
	runtime.LockOSThread() // the pacer sleeps on this thread (kernelSleeps)
	defer runtime.UnlockOSThread()
	batch := 1
	uc, _ := s.conn.(*net.UDPConn)
	if s.pc == nil && uc != nil && t.limit == 0 {
		if b := gsoBatch(s.length, s.rate); b > 1 && enableGSO(uc, s.length) {
			batch = b
			t.modes.use(modeUDPGSO)
		}
	}
	buf := payload(s.length * batch)
	p := newPacer(s.rate, t.dataStart).kernelSleeps()
	var seq uint64
	for !t.stopping.Load() && !t.limitReached() {
		if p != nil && !p.wait(s.bytes.Load(), t) {
			return nil
		}
		sec, usec := monotonicNow()
		for i := range batch {
			seq++
			iperf3.UDPHeader{Sec: sec, Usec: usec, Seq: seq}.Put(buf[i*s.length:], s.counters64)
		}
		var n int
		var err error
		if s.pc != nil {
			n, err = s.pc.WriteTo(buf, s.raddr)
		} else {
			n, err = s.conn.Write(buf)
		}
		if err != nil {
			seq -= uint64(batch)
			switch {
			case batch > 1 && gsoRefused(err): // the path cannot take segmented writes: one at a time
				disableGSO(uc)
				batch, buf = 1, buf[:s.length]
				continue
			case isBufferFull(err): // ENOBUFS: the datagrams were dropped locally, like iperf3 we go on
				continue
			}
			return t.streamErr(s, err)
		}
		s.bytes.Add(uint64(n))
		s.packets.Add(int64(batch))
		t.count(n)
	}
	return nil
}

func (s *stream) recvUDP(t *testRun) error {
	buf := make([]byte, 65536)
	for {
		n, err := s.conn.Read(buf)
		if err != nil {
			return t.streamErr(s, err)
		}
		s.deliver(t, buf[:n], time.Now())
	}
}

// deliver accounts one received datagram.
func (s *stream) deliver(t *testRun, b []byte, arrival time.Time) {
	if t.frozen.Load() {
		return
	}
	h, err := iperf3.ParseUDPHeader(b, s.counters64)
	if err != nil {
		return // short or garbage datagram: not ours to count
	}
	t.received(func() time.Time { return arrival })
	s.bytes.Add(uint64(len(b)))
	t.count(len(b))
	s.recv.add(h, arrival)
}

// udpReceiver keeps iperf3's loss, reordering and jitter accounting (§6.4).
type udpReceiver struct {
	mu          sync.Mutex
	maxSeq      int64
	errors      int64
	outOfOrder  int64
	jitter      float64 // seconds
	prevTransit float64
	seen        bool
}

func (u *udpReceiver) add(h iperf3.UDPHeader, arrival time.Time) {
	sec, usec := monotonicAt(arrival)
	transit := float64(sec) + float64(usec)/1e6 - (float64(h.Sec) + float64(h.Usec)/1e6)
	if transit < 0 {
		transit = -transit
	}
	seq := int64(h.Seq)
	u.mu.Lock()
	defer u.mu.Unlock()
	if seq >= u.maxSeq+1 {
		if seq > u.maxSeq+1 {
			u.errors += seq - u.maxSeq - 1
		}
		u.maxSeq = seq
	} else {
		u.outOfOrder++
		if u.errors > 0 {
			u.errors--
		}
	}
	if !u.seen {
		u.prevTransit = transit
		u.seen = true
		return
	}
	d := transit - u.prevTransit
	if d < 0 {
		d = -d
	}
	u.prevTransit = transit
	u.jitter += (d - u.jitter) / 16
}

// udpSnapshot is a receiver's counters at one moment.
type udpSnapshot struct {
	packets, errors, outOfOrder int64
	jitter                      float64
}

func (u *udpReceiver) snapshot() udpSnapshot {
	u.mu.Lock()
	defer u.mu.Unlock()
	return udpSnapshot{packets: u.maxSeq, errors: u.errors, outOfOrder: u.outOfOrder, jitter: u.jitter}
}

// resetJitter is called when the omit period ends, as iperf3 does.
func (u *udpReceiver) resetJitter() {
	u.mu.Lock()
	u.jitter = 0
	u.mu.Unlock()
}

// isTimeout reports a deadline we set to stop a stream.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
