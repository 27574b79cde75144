package iperf3

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// State is a control-connection state byte (§2.2): one signed byte, never
// framed. Read a byte c from the wire and convert it with State(int8(c));
// write byte(s).
type State int8

// The states that travel on the control connection. iperf3 also defines
// RESULT_REQUEST (3), STREAM_* (5-8) and IPERF_START (15), which are never
// sent; a peer that receives them fails with "unknown control message".
const (
	TestStart       State = 1  // S→C: all streams accepted
	TestRunning     State = 2  // S→C: start moving data
	TestEnd         State = 4  // C→S: test over
	ParamExchange   State = 9  // S→C: send your parameters
	CreateStreams   State = 10 // S→C: open the data streams
	ServerTerminate State = 11 // S→C: server killed mid-test
	ClientTerminate State = 12 // C→S: client killed mid-test
	ExchangeResults State = 13 // S→C: results exchange, client writes first
	DisplayResults  State = 14 // S→C: results done
	IperfDone       State = 16 // C→S: final acknowledgement
	AccessDenied    State = -1 // S→C (0xFF): busy server or bad data cookie
	ServerError     State = -2 // S→C (0xFE): followed by i_errno and errno
)

var stateNames = map[State]string{
	TestStart:       "TEST_START",
	TestRunning:     "TEST_RUNNING",
	TestEnd:         "TEST_END",
	ParamExchange:   "PARAM_EXCHANGE",
	CreateStreams:   "CREATE_STREAMS",
	ServerTerminate: "SERVER_TERMINATE",
	ClientTerminate: "CLIENT_TERMINATE",
	ExchangeResults: "EXCHANGE_RESULTS",
	DisplayResults:  "DISPLAY_RESULTS",
	IperfDone:       "IPERF_DONE",
	AccessDenied:    "ACCESS_DENIED",
	ServerError:     "SERVER_ERROR",
}

// String returns iperf3's name for s ("TEST_START"), or "STATE(n)" for a
// value that is not sent on the wire.
func (s State) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return "STATE(" + strconv.Itoa(int(s)) + ")"
}

// Known reports whether s is one of the states that travel on the control
// connection (the constants above). Anything else is an "unknown control
// message" (i_errno 110).
func (s State) Known() bool {
	_, ok := stateNames[s]
	return ok
}

// AppendServerError appends a SERVER_ERROR message to b: the state byte 0xFE,
// then ierrno (iperf3's i_errno) and errno (Linux numbering, 0 if none) as
// big-endian int32 (§2.4).
func AppendServerError(b []byte, ierrno, errno int32) []byte {
	b = append(b, 0xFE) // byte(ServerError)
	b = binary.BigEndian.AppendUint32(b, uint32(ierrno))
	return binary.BigEndian.AppendUint32(b, uint32(errno))
}

// ErrServerErrorSize is returned by [ParseServerError] for a payload that is
// neither 4 nor 8 bytes.
var ErrServerErrorSize = errors.New("iperf3: SERVER_ERROR payload is not 4 or 8 bytes")

// ParseServerError decodes the bytes that follow a SERVER_ERROR state byte.
// b holds 8 bytes (i_errno, errno) or, for the 3.12 authentication failure
// that sends only the first integer, 4 bytes; errno is then 0. A reader
// should read 4 bytes, then try for 4 more and accept EOF.
func ParseServerError(b []byte) (ierrno, errno int32, err error) {
	switch len(b) {
	case 4:
		return int32(binary.BigEndian.Uint32(b)), 0, nil
	case 8:
		return int32(binary.BigEndian.Uint32(b)), int32(binary.BigEndian.Uint32(b[4:])), nil
	}
	return 0, 0, ErrServerErrorSize
}

// Some i_errno values (iperf_api.h) that an engine sends or interprets.
const (
	ErrnoTotalRate          int32 = 27  // total rate above the server's limit
	ErrnoMaxDuration        int32 = 37  // duration above the server's maximum (3.21)
	ErrnoInitTest           int32 = 101 // test initialization failed
	ErrnoCtrlClose          int32 = 109 // control socket closed unexpectedly
	ErrnoMessage            int32 = 110 // unknown control message
	ErrnoRecvParams         int32 = 114 // unable to receive parameters
	ErrnoRecvResults        int32 = 117 // unable to receive results
	ErrnoClientTerm         int32 = 119 // the client has terminated
	ErrnoServerTerm         int32 = 120 // the server has terminated
	ErrnoAccessDenied       int32 = 121 // the server is busy running a test
	ErrnoSetBuf2            int32 = 141 // socket buffer size not set correctly
	ErrnoAuth               int32 = 142 // test authorization failed
	ErrnoNoMsg              int32 = 144 // no data received within the receive timeout
	ErrnoServerDurationOver int32 = 160 // server test duration expired (3.21)
	ErrnoStreamListen       int32 = 202 // unable to start stream listener
	ErrnoStreamID           int32 = 208 // stream has an invalid id
)

// errnoTexts are short descriptions of iperf3's i_errno values (§2.4 and
// iperf_api.h), in our own words close to iperf3's messages.
var errnoTexts = map[int32]string{
	0:   "no error",
	5:   "test duration too long",
	6:   "number of parallel streams too large",
	7:   "block size too large",
	8:   "socket buffer size too large",
	10:  "TCP MSS too large",
	12:  "bogus value for --omit",
	13:  "an option is not implemented yet",
	15:  "invalid burst count",
	16:  "only one test end condition (-t, -n, -k) may be specified",
	18:  "no SCTP support available",
	20:  "block size invalid",
	21:  "bad TOS value",
	25:  "cannot be both reverse and bidirectional",
	27:  "total required bandwidth is larger than server limit",
	37:  "client's requested duration exceeds the server's maximum permitted limit",
	100: "unable to create a new test",
	101: "test initialization failed",
	102: "unable to start listener for connections",
	103: "unable to connect to server",
	104: "unable to accept connection from client",
	105: "unable to send cookie to server",
	106: "unable to receive cookie at server",
	107: "unable to write to the control socket",
	108: "unable to read from the control socket",
	109: "control socket has closed unexpectedly",
	110: "received an unknown control message",
	111: "unable to send control message",
	112: "unable to receive control message",
	113: "unable to send parameters to server",
	114: "unable to receive parameters from client",
	115: "unable to package results",
	116: "unable to send results",
	117: "unable to receive results",
	118: "select failed",
	119: "the client has terminated",
	120: "the server has terminated",
	121: "the server is busy running a test",
	122: "unable to set TCP NODELAY",
	123: "unable to set TCP MSS",
	124: "unable to set socket buffer size",
	125: "unable to set IP TOS",
	126: "unable to set IPv6 traffic class",
	127: "unable to set IPv6 flow label",
	128: "unable to reuse address on socket",
	129: "unable to set socket to non-blocking",
	130: "unable to set socket window size",
	131: "protocol does not exist",
	134: "unable to set TCP_CONGESTION: congestion control algorithm not supported",
	140: "unable to set socket pacing",
	141: "socket buffer size not set correctly",
	142: "test authorization failed",
	143: "unable to bind to device",
	144: "no data received within the receive timeout",
	145: "unable to set IP Do-Not-Fragment flag",
	148: "unable to set TCP USER_TIMEOUT",
	150: "unable to create thread",
	151: "unable to cancel thread",
	152: "unable to join thread",
	155: "unable to set control connection keepalive",
	160: "server test duration expired",
	200: "unable to create a new stream",
	201: "unable to initialize stream",
	202: "unable to start stream listener",
	203: "unable to connect stream",
	204: "unable to accept stream connection",
	205: "unable to write to stream socket",
	206: "unable to read from stream socket",
	207: "stream socket has closed unexpectedly",
	208: "stream has an invalid id",
	300: "unable to create new timer",
	301: "unable to update timer",
}

// ErrnoText returns a human description of an iperf3 i_errno value, e.g.
// 121 → "the server is busy running a test", or "iperf3 error N" for a value
// not in the table.
func ErrnoText(ierrno int32) string {
	if t, ok := errnoTexts[ierrno]; ok {
		return t
	}
	return "iperf3 error " + strconv.Itoa(int(ierrno))
}

// RemoteError is an error reported by the peer in a SERVER_ERROR message,
// for returning from an engine. Errno is the peer's errno (0 if none).
type RemoteError struct {
	Ierrno, Errno int32
}

func (e *RemoteError) Error() string {
	s := "iperf3 server error " + strconv.Itoa(int(e.Ierrno)) + ": " + ErrnoText(e.Ierrno)
	if e.Errno != 0 {
		s += " (errno " + strconv.Itoa(int(e.Errno)) + ")"
	}
	return s
}
