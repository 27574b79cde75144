package iperf3

import (
	"encoding/binary"
	"errors"
)

// The 4-byte datagrams of the UDP "connect" handshake (§6.1), one exchange
// per stream. Servers accept any hello; 3.12+ clients accept either reply.
var (
	UDPConnectMsg    = [4]byte{'9', '8', '7', '6'}     // client hello, 3.12+
	UDPReplyMsg      = [4]byte{'6', '7', '8', '9'}     // server reply, 3.12+
	UDPLegacyReply   = [4]byte{0xb1, 0x68, 0xde, 0x3a} // 987654321 little-endian, 3.7-3.11
	UDPLegacyConnect = [4]byte{0x15, 0xcd, 0x5b, 0x07} // 123456789 little-endian, 3.7-3.11
)

// IsUDPReply reports whether the datagram b is a server's handshake reply:
// exactly 4 bytes equal to [UDPReplyMsg] or [UDPLegacyReply]. A data
// datagram (at least 16 bytes) that overtakes the reply in reverse mode is
// never mistaken for one.
func IsUDPReply(b []byte) bool {
	if len(b) != 4 {
		return false
	}
	r := [4]byte(b)
	return r == UDPReplyMsg || r == UDPLegacyReply
}

// UDPHeader starts every UDP data datagram (§6.2): the send time and a
// per-stream sequence number starting at 1.
type UDPHeader struct {
	Sec, Usec uint32 // send time; any monotonic clock
	Seq       uint64 // 32 bits on the wire unless udp_counters_64bit
}

// UDPHeaderSize is the header length: 12 bytes, or 16 with 64-bit counters.
func UDPHeaderSize(counters64 bool) int {
	if counters64 {
		return 16
	}
	return 12
}

// Put writes h big-endian at the start of b, which must hold at least
// [UDPHeaderSize] bytes (it panics otherwise). With 32-bit counters the
// sequence number is truncated to its low 32 bits, as iperf3 does. Put does
// not allocate.
func (h UDPHeader) Put(b []byte, counters64 bool) {
	_ = b[UDPHeaderSize(counters64)-1] // one bounds check, early panic
	binary.BigEndian.PutUint32(b[0:4], h.Sec)
	binary.BigEndian.PutUint32(b[4:8], h.Usec)
	if counters64 {
		binary.BigEndian.PutUint64(b[8:16], h.Seq)
	} else {
		binary.BigEndian.PutUint32(b[8:12], uint32(h.Seq))
	}
}

// ErrShortDatagram is returned by [ParseUDPHeader] for a datagram shorter
// than the header.
var ErrShortDatagram = errors.New("iperf3: UDP datagram shorter than its header")

// ParseUDPHeader reads the header at the start of the datagram b. It does
// not allocate. The payload after the header is not examined.
func ParseUDPHeader(b []byte, counters64 bool) (UDPHeader, error) {
	if len(b) < UDPHeaderSize(counters64) {
		return UDPHeader{}, ErrShortDatagram
	}
	h := UDPHeader{
		Sec:  binary.BigEndian.Uint32(b[0:4]),
		Usec: binary.BigEndian.Uint32(b[4:8]),
	}
	if counters64 {
		h.Seq = binary.BigEndian.Uint64(b[8:16])
	} else {
		h.Seq = uint64(binary.BigEndian.Uint32(b[8:12]))
	}
	return h, nil
}
