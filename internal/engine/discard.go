package engine

import (
	"io"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// discardChunk is how many bytes one discarding read may drop: no buffer
// backs it, so it can be larger than any block.
const discardChunk = 4 << 20

// discardReader reads a TCP connection the way Spec.Discard asks: recv(2)
// with MSG_TRUNC, which on TCP frees the queued bytes without copying them
// to the program (tcp(7)), through Go's netpoller like conn.Read, so read
// deadlines and the drain of a bounded test work as before. It measures
// the network without the receiver's copy, which every application pays:
// an explicit mode (tcp-discard), never the default.
type discardReader struct{ rc syscall.RawConn }

func newDiscardReader(c *net.TCPConn) (*discardReader, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &discardReader{rc: rc}, nil
}

// Read drops up to discardChunk queued bytes (p is not written) and
// returns how many; io.EOF when the peer closed.
func (d *discardReader) Read(_ []byte) (int, error) {
	var n int
	var rerr error
	err := d.rc.Read(func(fd uintptr) bool {
		r, _, e := uintptr(0), uintptr(0), unix.EINTR
		for e == unix.EINTR {
			r, _, e = unix.Syscall6(unix.SYS_RECVFROM, fd, 0, discardChunk, unix.MSG_TRUNC|unix.MSG_DONTWAIT, 0, 0)
		}
		if e == unix.EAGAIN {
			return false // wait in the netpoller
		}
		n, rerr = int(r), nil
		if e != 0 {
			n, rerr = 0, e
		}
		return true
	})
	switch {
	case err != nil:
		return 0, err
	case rerr != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: rerr}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}
