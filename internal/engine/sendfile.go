package engine

import (
	"fmt"
	"io"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// fileSource is one block of random payload in a memfd, written to TCP
// with sendfile(2): the kernel takes the bytes from the page cache, so the
// sender does no user→kernel copy per block. The bytes on the wire are the
// same as with write(2); only the sender's CPU cost changes (like iperf3 -Z).
type fileSource struct {
	f    *os.File
	size int64
	lr   io.LimitedReader
}

func newFileSource(payload []byte) (*fileSource, error) {
	fd, err := unix.MemfdCreate("cnibench-payload", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "cnibench-payload")
	if _, err := f.Write(payload); err != nil {
		f.Close()
		return nil, fmt.Errorf("fill payload: %w", err)
	}
	return &fileSource{f: f, size: int64(len(payload))}, nil
}

// sendTo writes one block to c.
func (fs *fileSource) sendTo(c *net.TCPConn) (int64, error) {
	if _, err := fs.f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	fs.lr = io.LimitedReader{R: fs.f, N: fs.size}
	return c.ReadFrom(&fs.lr)
}

func (fs *fileSource) Close() error { return fs.f.Close() }
