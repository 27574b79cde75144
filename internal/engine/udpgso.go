package engine

import (
	"errors"
	"net"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A UDP sender that writes one datagram per system call tops out well under
// 1 Gbit/s of 1400-byte datagrams on a small machine, and then a rate search
// measures the sender, not the path. With UDP_SEGMENT (Linux 4.18) one write
// carries a batch of equal datagrams that the kernel splits late, at the
// device or the receiving socket, so the cost per datagram falls several
// times while the wire sees the same datagrams, each with its own header.

// Limits of one segmented write.
const (
	maxGSOSegments = 64    // the kernel's UDP_MAX_SEGMENTS (64 before Linux 6.x raised it)
	maxGSOBytes    = 65000 // all segments' payload: under the 64 KiB an IP packet may carry
	gsoBurst       = 250 * time.Microsecond
)

// gsoBatch is how many datagrams of length bytes one write may carry at
// rate bits/s (0 = unlimited): as many as fit, but no more than 250 µs of
// the rate, so a receiver with the kernel's default buffer takes each
// burst whole (a stock iperf3 server lost 0.13-0.63% of 1 Gbit/s beside
// 250 µs bursts, 0.11-0.89% beside 1 ms ones; iperf3's own sender, 0.12-2.8%).
func gsoBatch(length int, rate uint64) int {
	if length <= 0 {
		return 1
	}
	n := min(maxGSOSegments, maxGSOBytes/length)
	if rate > 0 {
		n = min(n, int(float64(rate)/8*gsoBurst.Seconds())/length)
	}
	return max(n, 1)
}

// enableGSO turns on UDP_SEGMENT at length bytes per datagram; false when
// the socket or kernel does not support it.
func enableGSO(c *net.UDPConn, length int) bool {
	return withFD(c, func(fd int) error {
		return unix.SetsockoptInt(fd, unix.IPPROTO_UDP, unix.UDP_SEGMENT, length)
	}) == nil
}

// disableGSO turns UDP_SEGMENT off again (a path whose MTU is below one
// datagram refuses segmented writes with EINVAL).
func disableGSO(c *net.UDPConn) {
	_ = withFD(c, func(fd int) error {
		return unix.SetsockoptInt(fd, unix.IPPROTO_UDP, unix.UDP_SEGMENT, 0)
	})
}

// gsoRefused says a segmented write failed because of the segmentation
// itself (the datagram does not fit the route's MTU, or the device cannot
// checksum it), so the sender should write datagrams one at a time.
func gsoRefused(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EIO)
}
