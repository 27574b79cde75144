package engine

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/cnibench/cnibench/internal/iperf3"
	"golang.org/x/sys/unix"
)

// ErrBusy is the peer's ACCESS_DENIED: an iperf3 server already running a
// test, a cnibench server at its test limit, or a data connection it refused.
var ErrBusy = errors.New("the server is busy running a test (ACCESS_DENIED); try again later")

// ServerError is a SERVER_ERROR from the peer: iperf3's i_errno and errno.
type ServerError struct {
	Code  int32
	Errno int32
}

func (e *ServerError) Error() string {
	msg := fmt.Sprintf("server error %d: %s", e.Code, iperf3.ErrnoText(e.Code))
	if e.Errno != 0 {
		msg += fmt.Sprintf(" (errno %d)", e.Errno)
	}
	return msg
}

// control is the control connection's state-byte and message exchange.
type control struct {
	conn net.Conn
}

func (c control) writeState(s iperf3.State) error {
	if _, err := c.conn.Write([]byte{byte(int8(s))}); err != nil {
		return fmt.Errorf("send %v: %w", s, err)
	}
	return nil
}

// readState reads one state byte; SERVER_ERROR and ACCESS_DENIED come back
// as errors, EOF as a named error.
func (c control) readState() (iperf3.State, error) {
	var b [1]byte
	if _, err := io.ReadFull(c.conn, b[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, errors.New("control connection closed unexpectedly by the peer")
		}
		return 0, fmt.Errorf("read control message: %w", err)
	}
	s := iperf3.State(int8(b[0]))
	switch s {
	case iperf3.AccessDenied:
		return s, ErrBusy
	case iperf3.ServerError:
		var p [8]byte
		n, _ := io.ReadFull(c.conn, p[:])
		code, errno, err := iperf3.ParseServerError(p[:n])
		if err != nil {
			return s, fmt.Errorf("server error (unreadable code): %w", err)
		}
		return s, &ServerError{Code: code, Errno: errno}
	}
	if !s.Known() {
		return s, fmt.Errorf("unknown control message %d from peer (is it an iperf3 server?)", int8(b[0]))
	}
	return s, nil
}

// expect reads one state and checks it is want.
func (c control) expect(want iperf3.State) error {
	got, err := c.readState()
	if err != nil {
		if isTimeout(err) {
			return fmt.Errorf("timed out waiting for %v: the peer accepted the connection but did not answer (is it an iperf3 server?): %w", want, err)
		}
		return err
	}
	if got != want {
		return fmt.Errorf("protocol error: expected %v, got %v", want, got)
	}
	return nil
}

func (c control) deadline(d time.Duration) {
	if d <= 0 {
		_ = c.conn.SetDeadline(time.Time{})
		return
	}
	_ = c.conn.SetDeadline(time.Now().Add(d))
}

// ctrlMsg is a state byte read during the test by the control reader.
type ctrlMsg struct {
	state iperf3.State
	err   error
}

// reader reads state bytes one at a time on its own goroutine, so the test
// can watch the control connection while data flows. After each message it
// waits for next (so the owner can read a framed message in between) or done.
func (c control) reader(next <-chan struct{}, done <-chan struct{}) <-chan ctrlMsg {
	out := make(chan ctrlMsg, 1)
	go func() {
		for {
			st, err := c.readState()
			select {
			case out <- ctrlMsg{st, err}:
			case <-done:
				return
			}
			if err != nil {
				return
			}
			select {
			case <-next:
			case <-done:
				return
			}
		}
	}()
	return out
}

// streamID numbers streams as iperf3 does: 1, 3, 4, 5, ...
func streamID(i int) int {
	if i == 0 {
		return 1
	}
	return i + 2
}

// streamSends says whether stream i is sent by the client.
func streamSends(spec Spec, i int) bool {
	switch {
	case spec.Bidir:
		return i < spec.Streams
	case spec.Reverse:
		return false
	default:
		return true
	}
}

// totalStreams counts data connections: bidir doubles them.
func totalStreams(spec Spec) int {
	if spec.Bidir {
		return 2 * spec.Streams
	}
	return spec.Streams
}

// accessDenied is ACCESS_DENIED (-1) on the wire.
const accessDenied = 0xFF

// pending says whether the peer has sent something not yet read, without
// reading it (false when the connection cannot be peeked at).
func (c control) pending() bool {
	sc, ok := c.conn.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var n int
	var b [1]byte
	_ = raw.Read(func(fd uintptr) bool {
		n, _, _ = unix.Recvfrom(int(fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		return true // never wait
	})
	return n > 0
}
