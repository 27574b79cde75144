package engine

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/iperf3"
)

// rawIOTimeout bounds every read and write of a raw connection: far above
// the test server's HandshakeTimeout, far below the suite's budget.
const rawIOTimeout = 3 * time.Second

// rawConn is a hand-driven iperf3 control or data connection, for feeding a
// server bytes the engine's own client would never send.
type rawConn struct {
	t      testing.TB
	conn   *net.TCPConn
	cookie string
}

// dialRaw connects to addr; the connection is closed when the test ends.
func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	return dialRawFrom(t, nil, addr)
}

// otherSource is a loopback address of its own, for a client that must not
// share its address with the test's legitimate one (127.0.0.1): the server
// limits the tests in setup per client address.
var otherSource = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}

// dialRawFrom dials addr from local address from (nil = any).
func dialRawFrom(t testing.TB, from *net.TCPAddr, addr string) *rawConn {
	t.Helper()
	d := net.Dialer{Timeout: rawIOTimeout}
	if from != nil {
		d.LocalAddr = from
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, conn: c.(*net.TCPConn)}
}

// newRawCookie returns a fresh cookie.
func newRawCookie(t testing.TB) string {
	t.Helper()
	c, err := iperf3.NewCookie()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// write sends b in one call.
func (r *rawConn) write(b []byte) {
	r.t.Helper()
	_ = r.conn.SetWriteDeadline(time.Now().Add(rawIOTimeout))
	if _, err := r.conn.Write(b); err != nil {
		r.t.Fatalf("raw write of %d bytes: %v", len(b), err)
	}
}

// sendCookie sends cookie (a fresh one if empty) and remembers it.
func (r *rawConn) sendCookie(cookie string) {
	r.t.Helper()
	if cookie == "" {
		cookie = newRawCookie(r.t)
	}
	r.cookie = cookie
	r.write(iperf3.AppendCookie(nil, cookie))
}

// hello sends a fresh cookie and checks the server asks for parameters.
func (r *rawConn) hello() {
	r.t.Helper()
	r.sendCookie("")
	r.expectState(iperf3.ParamExchange)
}

// sendMessage sends body framed with its true length.
func (r *rawConn) sendMessage(body []byte) {
	r.t.Helper()
	r.write(append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...))
}

// sendParams sends a parameters message.
func (r *rawConn) sendParams(p iperf3.Params) {
	r.t.Helper()
	_ = r.conn.SetWriteDeadline(time.Now().Add(rawIOTimeout))
	if err := iperf3.WriteMessage(r.conn, p); err != nil {
		r.t.Fatalf("send params: %v", err)
	}
}

// readState reads one state byte.
func (r *rawConn) readState() (iperf3.State, error) {
	_ = r.conn.SetReadDeadline(time.Now().Add(rawIOTimeout))
	var b [1]byte
	if _, err := io.ReadFull(r.conn, b[:]); err != nil {
		return 0, err
	}
	return iperf3.State(int8(b[0])), nil
}

// expectState reads one state byte and fails the test unless it is want.
func (r *rawConn) expectState(want iperf3.State) {
	r.t.Helper()
	got, err := r.readState()
	if err != nil {
		r.t.Fatalf("waiting for %v: %v", want, err)
	}
	if got != want {
		r.t.Fatalf("got %v, want %v", got, want)
	}
}

// quiet reads for d and returns an error unless the server sent a byte.
func (r *rawConn) quiet(d time.Duration) (byte, error) {
	_ = r.conn.SetReadDeadline(time.Now().Add(d))
	var b [1]byte
	_, err := io.ReadFull(r.conn, b[:])
	return b[0], err
}

// reset closes the connection with an RST (SO_LINGER 0).
func (r *rawConn) reset() {
	_ = r.conn.SetLinger(0)
	_ = r.conn.Close()
}

// peerEnd is what the server did after something was sent to it: the
// bytes it wrote, then how the connection ended.
type peerEnd struct {
	data    []byte
	closed  bool          // EOF or RST: the server closed the connection
	reset   bool          // the close was an RST
	err     error         // a read error that is neither (e.g. our timeout: a hang)
	elapsed time.Duration // until the close (or the error)
}

// readToEnd reads what the server writes until it closes the connection,
// at most max bytes and within timeout.
func (r *rawConn) readToEnd(timeout time.Duration, max int) peerEnd {
	start := time.Now()
	_ = r.conn.SetReadDeadline(start.Add(timeout))
	var end peerEnd
	buf := make([]byte, 4096)
	for len(end.data) < max {
		n, err := r.conn.Read(buf)
		end.data = append(end.data, buf[:n]...)
		if err != nil {
			end.elapsed = time.Since(start)
			switch {
			case errors.Is(err, io.EOF):
				end.closed = true
			case errors.Is(err, syscall.ECONNRESET):
				end.closed, end.reset = true, true
			default:
				end.err = err
			}
			return end
		}
	}
	end.elapsed = time.Since(start)
	end.err = errors.New("the server kept writing")
	return end
}

// String describes the end for test failures.
func (e peerEnd) String() string {
	var b strings.Builder
	b.WriteString("server wrote ")
	if len(e.data) == 0 {
		b.WriteString("nothing")
	} else {
		b.WriteString("[" + hexPrefix(e.data, 24) + "]")
	}
	switch {
	case e.err != nil:
		b.WriteString(", then did not close: " + e.err.Error())
	case e.reset:
		b.WriteString(", then reset the connection after " + e.elapsed.Round(time.Millisecond).String())
	default:
		b.WriteString(", then closed after " + e.elapsed.Round(time.Millisecond).String())
	}
	return b.String()
}

func hexPrefix(b []byte, n int) string {
	const digits = "0123456789abcdef"
	var s strings.Builder
	for i, c := range b {
		if i == n {
			s.WriteString(" …")
			break
		}
		if i > 0 {
			s.WriteByte(' ')
		}
		s.WriteByte(digits[c>>4])
		s.WriteByte(digits[c&15])
	}
	return s.String()
}

// serverError decodes b as one SERVER_ERROR message (0xFE and two BE
// int32) and nothing else, reporting whether it is one.
func serverError(b []byte) (code, errno int32, ok bool) {
	if len(b) != 9 || b[0] != 0xFE {
		return 0, 0, false
	}
	code, errno, err := iperf3.ParseServerError(b[1:])
	return code, errno, err == nil
}

// rawTest is a TCP or UDP test driven by hand: a control connection and
// its data streams.
type rawTest struct {
	ctl     *rawConn
	data    []*rawConn     // TCP data connections
	udp     []*net.UDPConn // UDP streams
	streams int
}

// startRawTest runs the handshake for a TCP test with p's parameters,
// opening every data connection p asks for, and returns once the server
// sent TEST_RUNNING.
func startRawTest(t testing.TB, addr string, p iperf3.Params) *rawTest {
	t.Helper()
	rt := &rawTest{ctl: dialRaw(t, addr), streams: p.Parallel}
	if p.Bidirectional {
		rt.streams *= 2
	}
	rt.ctl.hello()
	rt.ctl.sendParams(p)
	rt.ctl.expectState(iperf3.CreateStreams)
	for range rt.streams {
		d := dialRaw(t, addr)
		d.sendCookie(rt.ctl.cookie)
		rt.data = append(rt.data, d)
	}
	rt.ctl.expectState(iperf3.TestStart)
	rt.ctl.expectState(iperf3.TestRunning)
	return rt
}

// udpHelloFrom does the UDP "connect" of one stream from pc and reports
// whether the server answered.
func udpHelloFrom(t testing.TB, pc *net.UDPConn, server *net.UDPAddr, wait time.Duration) bool {
	t.Helper()
	if _, err := pc.WriteToUDP(iperf3.UDPConnectMsg[:], server); err != nil {
		t.Fatalf("send UDP hello: %v", err)
	}
	_ = pc.SetReadDeadline(time.Now().Add(wait))
	var buf [64]byte
	n, _, err := pc.ReadFromUDP(buf[:])
	return err == nil && iperf3.IsUDPReply(buf[:n])
}

// finish ends the test like a client: TEST_END, the results exchange with
// empty figures, DISPLAY_RESULTS and IPERF_DONE; the server must then close.
func (rt *rawTest) finish(t testing.TB) {
	t.Helper()
	rt.ctl.write([]byte{byte(iperf3.TestEnd)})
	rt.ctl.expectState(iperf3.ExchangeResults)
	mine := iperf3.Results{SenderHasRetransmits: -1, Streams: []iperf3.StreamResults{}}
	for i := range rt.streams {
		mine.Streams = append(mine.Streams, iperf3.StreamResults{ID: streamID(i), Retransmits: -1})
	}
	_ = rt.ctl.conn.SetDeadline(time.Now().Add(rawIOTimeout))
	if err := iperf3.WriteMessage(rt.ctl.conn, mine); err != nil {
		t.Fatalf("send results: %v", err)
	}
	var theirs iperf3.Results
	if err := iperf3.ReadMessage(rt.ctl.conn, iperf3.MaxMessageSize, &theirs); err != nil {
		t.Fatalf("read server results: %v", err)
	}
	if len(theirs.Streams) != rt.streams {
		t.Errorf("server results have %d streams, want %d", len(theirs.Streams), rt.streams)
	}
	rt.ctl.expectState(iperf3.DisplayResults)
	rt.ctl.write([]byte{byte(iperf3.IperfDone)})
	if end := rt.ctl.readToEnd(rawIOTimeout, 64); !end.closed || len(end.data) > 0 {
		t.Errorf("after IPERF_DONE: %v", end)
	}
}

// rawParams are the parameters of a 1-stream TCP test of the given length
// in seconds, as a 3.12 client sends them.
func rawParams(seconds int) iperf3.Params {
	p := iperf3.DefaultParams()
	p.Time = seconds
	p.ClientVersion = "hostile-test"
	return p
}

// openFDs counts this process's open file descriptors.
func openFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("count fds: %v", err)
	}
	return len(ents)
}

// fdList describes the open file descriptors, for a failure message.
func fdList() string {
	ents, _ := os.ReadDir("/proc/self/fd")
	var b strings.Builder
	for _, e := range ents {
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		b.WriteString("  " + e.Name() + " -> " + target + "\n")
	}
	return b.String()
}
