package engine

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// TestUDPRRSessionSocket: a udp-rr session gets a UDP socket of its own
// on the server's port, connected to the client, which answers the
// client's requests and drops anything without the session's token; it
// is gone when the client closes the test's TCP connection.
func TestUDPRRSessionSocket(t *testing.T) {
	addr := startServer(t, &Server{})
	lt := &latencyTest{c: &Client{}, address: addr, spec: mustNormalize(t, LatencySpec{Mode: UDPRR, RequestSize: 16, ResponseSize: 64})}
	ctl, ack, err := lt.hello(context.Background(), UDPRR)
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exchange := func(seq uint64) {
		t.Helper()
		req := make([]byte, 16)
		putUDPRR(req, ack.token, seq)
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write(req); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 2048)
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("request %d: no reply: %v", seq, err)
		}
		if tok, s, ok := parseUDPRR(buf[:n]); !ok || tok != ack.token || s != seq || n != 64 {
			t.Fatalf("request %d: reply of %d bytes, token %x seq %d", seq, n, tok, s)
		}
	}
	exchange(0) // the shared socket answers, and the session opens its own
	serverPort := ctl.RemoteAddr().(*net.TCPAddr).Port
	client := conn.LocalAddr().(*net.UDPAddr)
	waitFor(t, "the session's connected socket", func() bool { return connectedUDPSockets(t, serverPort, client.Port) == 1 })
	// Garbage from the client's own address: dropped, the session goes on.
	for _, junk := range [][]byte{{1}, make([]byte, 15), make([]byte, 16), []byte(strings.Repeat("x", 1500))} {
		if _, err := conn.Write(junk); err != nil {
			t.Fatal(err)
		}
	}
	for seq := uint64(1); seq <= 100; seq++ {
		exchange(seq)
	}
	ctl.Close()
	waitFor(t, "the session's socket closed", func() bool { return connectedUDPSockets(t, serverPort, client.Port) == 0 })
}

// connectedUDPSockets counts the IPv4 UDP sockets on local port local
// connected to remote port remote (from /proc/net/udp).
func connectedUDPSockets(t *testing.T, local, remote int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		t.Skipf("no /proc/net/udp: %v", err)
	}
	l, r := fmt.Sprintf(":%04X", local), fmt.Sprintf(":%04X", remote)
	n := 0
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 2 && strings.HasSuffix(f[1], l) && strings.HasSuffix(f[2], r) {
			n++
		}
	}
	return n
}

// waitFor polls cond every 10 ms for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("waited 5 s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
