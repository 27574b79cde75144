package engine

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// TestSysmonPacer: a loop on a blocking socket yields at its first
// transaction and then once per schedYield of the times it is given,
// always within the runtime monitor's 10 ms.
func TestSysmonPacer(t *testing.T) {
	if schedYield <= 0 || schedYield >= 10*time.Millisecond {
		t.Fatalf("schedYield %v: want above 0 and below the monitor's 10 ms", schedYield)
	}
	t0 := time.Unix(1000, 0)
	var p sysmonPacer
	for _, c := range []struct {
		at    time.Duration
		yield bool
	}{
		{0, true},
		{time.Microsecond, false},
		{schedYield - time.Nanosecond, false},
		{schedYield, true},
		{schedYield + time.Millisecond, false},
		{3 * schedYield, true}, // a late one yields once, not once per period missed
		{3*schedYield + time.Microsecond, false},
	} {
		if got := p.pace(t0.Add(c.at)); got != c.yield {
			t.Errorf("pace at %v: yielded %v, want %v", c.at, got, c.yield)
		}
	}
}

// tcpPair is a connected loopback TCP pair: the dialled end and the
// accepted one.
func tcpPair(t *testing.T) (dialled, accepted net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dialled, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dialled.Close() })
	accepted, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { accepted.Close() })
	return dialled, accepted
}

// TestBlockingSocketWatch: the watch ends a call that waits longer than
// its timeout with a Timeout() error, never earlier, and leaves alone a
// loop that keeps moving bytes and a socket whose watch was stopped.
func TestBlockingSocketWatch(t *testing.T) {
	const timeout = 300 * time.Millisecond
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, sock *blockingSocket, peer net.Conn, stop func())
	}{
		{"a stalled read times out", func(t *testing.T, sock *blockingSocket, _ net.Conn, _ func()) {
			start := time.Now()
			errNoWatch := errors.New("the watch did not end the read within 10 s")
			defer time.AfterFunc(10*time.Second, func() { sock.Interrupt(errNoWatch) }).Stop()
			_, err := sock.Read(make([]byte, 1))
			if !isTimeout(err) {
				t.Fatalf("read from a silent peer: %v, want a timeout", err)
			}
			if waited := time.Since(start); waited < timeout {
				t.Errorf("timed out after %v, before the timeout of %v", waited, timeout)
			}
			if _, err := sock.Write([]byte{1}); !isTimeout(err) {
				t.Errorf("a write after the timeout: %v, want the timeout again", err)
			}
		}},
		{"a loop that moves bytes runs past the timeout", func(t *testing.T, sock *blockingSocket, peer net.Conn, _ func()) {
			go func() { _, _ = io.Copy(peer, peer) }() // an echo
			b := make([]byte, 1)
			for end := time.Now().Add(3 * timeout); time.Now().Before(end); {
				if _, err := sock.Write(b); err != nil {
					t.Fatal(err)
				}
				if _, err := sock.Read(b); err != nil {
					t.Fatalf("read from an echo: %v", err)
				}
				time.Sleep(timeout / 30)
			}
		}},
		{"a stopped watch interrupts nothing", func(t *testing.T, sock *blockingSocket, peer net.Conn, stop func()) {
			stop()
			go func() {
				time.Sleep(2 * timeout)
				_, _ = peer.Write([]byte{1})
			}()
			if _, err := sock.Read(make([]byte, 1)); err != nil {
				t.Errorf("read after the watch stopped: %v", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, peer := tcpPair(t)
			sock, err := newBlockingSocket(conn, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer sock.Close()
			stop := sync.OnceFunc(sock.watch(timeout)) // a case may stop it first
			defer stop()
			tc.run(t, sock, peer, stop)
		})
	}
}
