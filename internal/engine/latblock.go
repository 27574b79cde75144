package engine

import (
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// blockingSocket drives a connected socket with blocking read(2) and
// write(2) on a file descriptor of its own, the way a C request/response
// program does (sockperf, qperf, netperf): the thread sleeps in the kernel
// until the peer's bytes arrive and is woken by them. Go's netpoller path
// (read → EAGAIN → park → epoll_wait → read) costs two more system calls
// and a hand-off between threads per read, and, when the other end shares
// the runtime, spinning threads that keep a CPU from ever sleeping; either
// way rr would not time what an application blocked in recv sees. The
// socket leaves Go's netpoller altogether (a socket still registered there
// wakes the runtime's epoll thread with every arrival). The caller locks
// its goroutine to its OS thread for the loop.
//
// A timeout given to newBlockingSocket bounds each read and write
// (SO_RCVTIMEO, SO_SNDTIMEO) and shows as an error whose Timeout() is
// true: udp-rr needs that, a lost datagram is a request without a reply
// within the timeout. TCP rr passes none and bounds the loop with watch:
// the kernel arms and cancels a timer in every bounded call that sleeps,
// which cost rr about 1 % of its round trip against sockperf
// (docs/performance.md). Interrupt wakes a blocked call by shutting the
// socket down; the call then returns the interrupt's reason.
type blockingSocket struct {
	fd     int
	stream bool          // TCP: a read of 0 bytes is the peer's close
	calls  atomic.Uint64 // calls that returned bytes (see watch)
	reason atomic.Pointer[error]
	mu     sync.Mutex // Interrupt against Close
	closed bool
}

// errNotASocket: the connection has no file descriptor (a test's pipe, a
// wrapper); the caller keeps using the connection's own methods.
var errNotASocket = errors.New("connection has no socket descriptor")

// newBlockingSocket takes conn's socket over: on success conn is closed
// (its addresses stay readable) and the socket lives on, in blocking mode
// with timeout on every read and write (0: none), until Close. On failure
// conn is untouched.
func newBlockingSocket(conn net.Conn, timeout time.Duration) (*blockingSocket, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil, errNotASocket
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	var serr error
	err = raw.Control(func(f uintptr) { fd, serr = unix.Dup(int(f)) })
	if err == nil {
		err = serr
	}
	if err != nil {
		return nil, err
	}
	err = unix.SetNonblock(fd, false)
	if err == nil && timeout > 0 {
		tv := unix.NsecToTimeval(int64(timeout))
		err = errors.Join(
			unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv),
			unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv))
	}
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	conn.Close() // the duplicate keeps the socket open
	_, udp := conn.(*net.UDPConn)
	return &blockingSocket{fd: fd, stream: !udp}, nil
}

// Interrupt makes the current and every later call return reason.
func (s *blockingSocket) Interrupt(reason error) {
	if !s.reason.CompareAndSwap(nil, &reason) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		_ = unix.Shutdown(s.fd, unix.SHUT_RDWR)
	}
}

// Close closes the socket; the caller has stopped using it.
func (s *blockingSocket) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return unix.Close(s.fd)
}

func (s *blockingSocket) interrupted() error {
	if r := s.reason.Load(); r != nil {
		return *r
	}
	return nil
}

func (s *blockingSocket) Read(p []byte) (int, error) {
	n, err := s.call("read", unix.Read, p)
	if err == nil && n == 0 && len(p) > 0 && s.stream {
		return 0, io.EOF
	}
	return n, err
}

func (s *blockingSocket) Write(p []byte) (int, error) { return s.call("write", unix.Write, p) }

// call makes one read or write: again after a signal (SO_RCVTIMEO and
// SO_SNDTIMEO keep the kernel from restarting it), the interrupt's reason
// once interrupted, a timeout error at the timeout.
func (s *blockingSocket) call(op string, f func(int, []byte) (int, error), p []byte) (int, error) {
	for {
		n, err := f(s.fd, p)
		if err == unix.EINTR {
			continue
		}
		if r := s.interrupted(); r != nil {
			return 0, r
		}
		switch {
		case err == unix.EAGAIN:
			return 0, os.ErrDeadlineExceeded
		case err != nil:
			return 0, &net.OpError{Op: op, Err: err}
		}
		if n > 0 {
			s.calls.Add(1)
		}
		return n, nil
	}
}

// watch bounds the socket's calls the way per-call timeouts would, with
// one ticker for the whole loop instead of a kernel timer per call: when
// no call has moved a byte for timeout, it interrupts the socket with
// os.ErrDeadlineExceeded (a Timeout() error). A stall is caught within a
// quarter of timeout (at least 1 ms) after timeout has passed since the
// last call that moved a byte. The caller calls the returned stop when its
// loop ends.
func (s *blockingSocket) watch(timeout time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(max(timeout/4, time.Millisecond))
		defer tick.Stop()
		last, since := s.calls.Load(), time.Now()
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				if n := s.calls.Load(); n != last {
					last, since = n, now
				} else if now.Sub(since) >= timeout {
					s.Interrupt(os.ErrDeadlineExceeded)
					return
				}
			}
		}
	}()
	return func() { close(done) }
}

// schedYield is how often a loop on a blocking socket gives its goroutine
// back to the scheduler (see sysmonPacer).
const schedYield = 5 * time.Millisecond

// sysmonPacer keeps Go's system monitor off a loop that spends its life in
// blocking system calls. Entering and leaving a system call does not count
// as scheduling, so after 10 ms (forcePreemptNS) the monitor takes such a
// goroutine for one that has run too long and retakes its P in every
// system call it finds it in: the monitor then polls every 20 µs, and the
// call's return has to get a P back through the scheduler and wake
// another thread (a futex wake-up, 15-30 µs on a 2-core machine), on
// roughly one transaction in seven: rr's p90 read twice its p50 where
// sockperf's was its p50 + 2 µs. A runtime.Gosched every schedYield
// between transactions, outside the timed part, is a scheduling the
// monitor sees.
type sysmonPacer struct{ next time.Time }

// pace yields when schedYield has passed since the last yield, and says
// whether it did.
func (p *sysmonPacer) pace(now time.Time) bool {
	if now.Before(p.next) {
		return false
	}
	p.next = now.Add(schedYield)
	runtime.Gosched()
	return true
}
