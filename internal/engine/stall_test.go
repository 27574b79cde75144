package engine

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/iperf3"
)

// TestStalledSourceCannotStarve: one client address that opens tests and
// stalls them (cookie sent, no parameters) gets at most
// MaxSetupsPerSource of the server's test slots; the rest are refused at
// once, and a client from another address is served while they stall.
func TestStalledSourceCannotStarve(t *testing.T) {
	const maxTests, perSource = 4, 2
	srv := &Server{Limits: Limits{MaxTests: maxTests, MaxSetupsPerSource: perSource, HandshakeTimeout: 20 * time.Second}, Logger: testLogger(t)}
	addr := startServer(t, srv)
	attacker := net.Dialer{LocalAddr: otherSource, Timeout: rawIOTimeout}
	var accepted, denied int
	for i := range maxTests {
		c, err := attacker.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("stalled client %d: %v", i, err)
		}
		t.Cleanup(func() { c.Close() })
		_ = c.SetDeadline(time.Now().Add(rawIOTimeout))
		cookie, _ := iperf3.NewCookie()
		if _, err := c.Write(iperf3.AppendCookie(nil, cookie)); err != nil {
			t.Fatal(err)
		}
		var b [1]byte
		if _, err := io.ReadFull(c, b[:]); err != nil {
			t.Fatalf("stalled client %d: %v", i, err)
		}
		switch iperf3.State(int8(b[0])) {
		case iperf3.ParamExchange:
			accepted++
		case iperf3.AccessDenied:
			denied++
		default:
			t.Fatalf("stalled client %d: state %d", i, b[0])
		}
	}
	if accepted != perSource || denied != maxTests-perSource {
		t.Errorf("from one address: %d accepted, %d denied; want %d and %d", accepted, denied, perSource, maxTests-perSource)
	}
	// Well before the stalled tests' 20 s handshake timeout:
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := (&Client{}).Run(ctx, addr, Spec{Bytes: 1 << 20}); err != nil {
		t.Errorf("a client from another address while one stalls: %v", err)
	}
}
