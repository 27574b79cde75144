package engine

import (
	"encoding/binary"
	"net"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A UDP receiver that reads one datagram per system call costs the server
// more than the sender (which writes segmented batches, udpgso.go). With
// UDP_GRO (Linux 5.0) the kernel may hand the socket a batch of equal
// datagrams of one flow in one read, with their size in a control message:
// a segmented write on loopback or a veth arrives whole, and the receiver
// splits it itself. Each datagram keeps its own iperf3 header, so the
// accounting (loss, order, jitter) is the same as one read per datagram.

// enableGRO asks for coalesced reads; false when the kernel refuses.
func enableGRO(c *net.UDPConn) bool {
	return withFD(c, func(fd int) error {
		return unix.SetsockoptInt(fd, unix.SOL_UDP, unix.UDP_GRO, 1)
	}) == nil
}

// groOOB is the control-message space one coalesced read needs.
var groOOB = unix.CmsgSpace(4)

// readBatch reads one datagram or a coalesced batch into buf; seg is the
// size of each datagram in it (the last may be shorter).
func readBatch(c *net.UDPConn, buf, oob []byte) (n, seg int, from netip.AddrPort, err error) {
	n, oobn, _, from, err := c.ReadMsgUDPAddrPort(buf, oob)
	if err != nil {
		return 0, 0, from, err
	}
	return n, groSegment(oob[:oobn], n), from, nil
}

// groSegment finds the UDP_GRO control message's datagram size, or n
// when the read carried one datagram.
func groSegment(oob []byte, n int) int {
	for len(oob) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0])) // oob comes from make: aligned
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(oob) {
			return n
		}
		if h.Level == unix.SOL_UDP && h.Type == unix.UDP_GRO && l >= unix.CmsgLen(4) {
			if seg := int(binary.NativeEndian.Uint32(oob[unix.CmsgLen(0):])); seg > 0 && seg < n {
				return seg
			}
			return n
		}
		oob = oob[min(unix.CmsgSpace(l-unix.CmsgLen(0)), len(oob)):]
	}
	return n
}

// eachDatagram calls fn for every datagram of a batch of n bytes read with
// datagrams of seg bytes.
func eachDatagram(b []byte, seg int, fn func([]byte)) {
	for len(b) > 0 {
		k := min(seg, len(b))
		fn(b[:k])
		b = b[k:]
	}
}
