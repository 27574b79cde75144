package engine

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cnibench/cnibench/internal/iperf3"
)

// The latency tests share the iperf3 port. A latency client opens with a
// hello of iperf3.CookieSize bytes where an iperf3 client sends its cookie;
// the hello starts with upper-case text that no cookie (a-z2-7) can hold, so
// the server tells the two apart in the first bytes (docs/engine.md, "Wire
// format of the latency tests").
//
//	hello (37 bytes): "CNIBENCH-LAT/1 " | mode | flags | request u32 | response u32 | duration ms u32 | 8 × NUL
//	ack   (16 bytes): "CNIBLAT" | '+' | token u64            (accepted; token is 0 except for udp-rr)
//	                  "CNIBLAT" | '!' | code u32 | detail u32 (refused)
//	udp-rr datagram:  token u64 | seq u64 | padding to the request or response size
//
// Integers are big-endian. A stock iperf3 server answers the hello with an
// iperf3 state byte (PARAM_EXCHANGE, or ACCESS_DENIED when busy) or closes:
// never with 'C', the ack's first byte.
const (
	latHelloMagic   = "CNIBENCH-LAT/" // any version: recognised, then checked
	latHelloPrefix  = latHelloMagic + "1 "
	latHelloSize    = iperf3.CookieSize
	latAckMagic     = "CNIBLAT"
	latAckSize      = 16
	udpRRHeaderSize = 16
	latFlagAck      = 1 // the server acks the hello (every hello but crr's per-transaction one)
)

// Refusal codes a server sends in a latency ack.
const (
	latRefusedBusy     uint32 = 1 // too many latency connections from the client's address; detail = the limit
	latRefusedBadHello uint32 = 2 // version, mode, flags or sizes not understood
	latRefusedTooLong  uint32 = 3 // duration over the server's limit; detail = the limit in seconds
	latRefusedInternal uint32 = 4 // the server could not set the test up (its UDP socket)
)

// latHello is the first message of every latency connection.
type latHello struct {
	mode       LatencyMode
	ack        bool
	request    int
	response   int
	durationMs uint32 // how long the client means to run; 0 = not said (the server's limits apply)
}

var latModeByte = map[LatencyMode]byte{RR: 'r', CRR: 'c', UDPRR: 'u'}

func (h latHello) append(b []byte) []byte {
	b = append(b, latHelloPrefix...)
	flags := byte(0)
	if h.ack {
		flags |= latFlagAck
	}
	b = append(b, latModeByte[h.mode], flags)
	b = binary.BigEndian.AppendUint32(b, uint32(h.request))
	b = binary.BigEndian.AppendUint32(b, uint32(h.response))
	b = binary.BigEndian.AppendUint32(b, h.durationMs)
	return append(b, make([]byte, latHelloSize-len(latHelloPrefix)-2-12)...)
}

// isLatHello reports whether the first bytes of a connection are a latency
// hello of any version (an iperf3 cookie never is).
func isLatHello(b []byte) bool {
	return len(b) >= len(latHelloMagic) && string(b[:len(latHelloMagic)]) == latHelloMagic
}

var errLatVersion = errors.New("unsupported latency protocol version")

// parseLatHello decodes and checks a hello; sizes are checked against the
// mode's limits (LatencySpec.Normalize's).
func parseLatHello(b []byte) (latHello, error) {
	var h latHello
	if len(b) != latHelloSize {
		return h, fmt.Errorf("latency hello is %d bytes, want %d", len(b), latHelloSize)
	}
	if !isLatHello(b) {
		return h, errors.New("not a latency hello")
	}
	if string(b[:len(latHelloPrefix)]) != latHelloPrefix {
		return h, errLatVersion
	}
	p := b[len(latHelloPrefix):]
	for m, c := range latModeByte {
		if p[0] == c {
			h.mode = m
		}
	}
	if h.mode == "" {
		return h, fmt.Errorf("unknown latency mode %q", p[0])
	}
	if p[1]&^latFlagAck != 0 {
		return h, fmt.Errorf("unknown latency flags %#x", p[1])
	}
	h.ack = p[1]&latFlagAck != 0
	req, resp := binary.BigEndian.Uint32(p[2:]), binary.BigEndian.Uint32(p[6:])
	h.durationMs = binary.BigEndian.Uint32(p[10:])
	for _, c := range p[14:] {
		if c != 0 {
			return h, errors.New("latency hello padding is not zero")
		}
	}
	lo, hi := sizeLimits(h.mode)
	if req < uint32(lo) || req > uint32(hi) || resp < uint32(lo) || resp > uint32(hi) {
		return h, fmt.Errorf("latency sizes %d/%d out of range %d..%d", req, resp, lo, hi)
	}
	h.request, h.response = int(req), int(resp)
	return h, nil
}

// latAck is the server's answer to an acked hello.
type latAck struct {
	ok     bool
	token  uint64 // udp-rr: what the client's datagrams carry
	code   uint32 // refused: why
	detail uint32
}

func (a latAck) append(b []byte) []byte {
	b = append(b, latAckMagic...)
	if a.ok {
		b = append(b, '+')
		return binary.BigEndian.AppendUint64(b, a.token)
	}
	b = append(b, '!')
	b = binary.BigEndian.AppendUint32(b, a.code)
	return binary.BigEndian.AppendUint32(b, a.detail)
}

func parseLatAck(b []byte) (latAck, error) {
	var a latAck
	if len(b) != latAckSize || string(b[:len(latAckMagic)]) != latAckMagic {
		return a, errors.New("not a latency ack")
	}
	switch b[7] {
	case '+':
		a.ok, a.token = true, binary.BigEndian.Uint64(b[8:])
	case '!':
		a.code, a.detail = binary.BigEndian.Uint32(b[8:]), binary.BigEndian.Uint32(b[12:])
	default:
		return a, fmt.Errorf("latency ack status %q unknown", b[7])
	}
	return a, nil
}

// refusal is the error a client reports for a refused ack.
func (a latAck) refusal() error {
	switch a.code {
	case latRefusedBusy:
		return fmt.Errorf("the server refused the latency test: it already serves %d latency connections from this address (its limit); wait for them to end", a.detail)
	case latRefusedBadHello:
		return errors.New("the server refused the latency test: it does not understand this request (different cnibench versions?)")
	case latRefusedTooLong:
		return fmt.Errorf("the server refused the latency test: longer than its limit of %d s (its --max-duration); use a shorter -t", a.detail)
	case latRefusedInternal:
		return errors.New("the server refused the latency test: it could not set it up (see its log)")
	}
	return fmt.Errorf("the server refused the latency test (code %d)", a.code)
}

// putUDPRR writes a udp-rr datagram header into b (len(b) >= udpRRHeaderSize).
func putUDPRR(b []byte, token, seq uint64) {
	binary.BigEndian.PutUint64(b, token)
	binary.BigEndian.PutUint64(b[8:], seq)
}

// parseUDPRR reads a udp-rr datagram header; ok is false for a datagram
// too short to carry one.
func parseUDPRR(b []byte) (token, seq uint64, ok bool) {
	if len(b) < udpRRHeaderSize {
		return 0, 0, false
	}
	return binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:]), true
}
