package engine

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// startServer runs a Server on a loopback port for the test's lifetime.
func startServer(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

func TestLoopback(t *testing.T) {
	addr := startServer(t, &Server{})
	tests := []struct {
		name  string
		spec  Spec
		modes string // the client's, as recorded
	}{
		{"tcp", Spec{Duration: time.Second}, ""},
		{"tcp-P2", Spec{Duration: time.Second, Streams: 2}, ""},
		{"tcp-R", Spec{Duration: time.Second, Reverse: true}, ModeTCPRcvLowat},
		{"tcp-bidir", Spec{Duration: time.Second, Bidir: true}, ModeTCPRcvLowat},
		{"tcp-bytes", Spec{Bytes: 50 << 20}, ""},
		{"tcp-Z", Spec{Duration: time.Second, ZeroCopy: true}, ModeSendfile},
		{"udp", Spec{Protocol: UDP, Duration: time.Second, Rate: 100e6}, ""}, // loopback's MSS: one 64 KiB datagram per write
		{"udp-1400", Spec{Protocol: UDP, Duration: time.Second, Rate: 100e6, Length: 1400}, ModeUDPGSO},
		{"udp-R", Spec{Protocol: UDP, Duration: time.Second, Rate: 100e6, Reverse: true}, ""},
		{"udp-64bit", Spec{Protocol: UDP, Duration: time.Second, Rate: 100e6, UDPCounters64: true}, ""},
		{"tcp-omit", Spec{Duration: time.Second, Omit: time.Second, Interval: 500 * time.Millisecond}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{}
			res, err := c.Run(context.Background(), addr, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("sent %d B, received %d B, %.2f Gbit/s, %d intervals, cpu %.0f%%/%.0f%%", res.SumSent.Bytes, res.SumReceived.Bytes, res.Goodput()/1e9, len(res.Intervals), res.CPU.HostTotal, res.CPU.RemoteTotal)
			if res.SumReceived.Bytes == 0 || res.Goodput() <= 0 {
				t.Fatalf("nothing measured: %+v", res.SumReceived)
			}
			if got := strings.Join(res.Modes, ","); got != tc.modes {
				t.Errorf("modes %q, want %q", got, tc.modes)
			}
			// The receiver's final sample may miss what was in flight, never more.
			if tc.spec.Protocol == TCP && (res.SumReceived.Bytes > res.SumSent.Bytes || res.SumReceived.Bytes < res.SumSent.Bytes*99/100) {
				t.Errorf("TCP bytes disagree: sent %d received %d", res.SumSent.Bytes, res.SumReceived.Bytes)
			}
			// Loopback loses nothing: the receiver's 4 MiB buffer rides out
			// a descheduled server for far longer than a loaded machine
			// stalls it, and the server has its run before the client may
			// send. A loss here is the engine's own drop reported as the
			// network's (scripts/stress-tests.sh runs this under CPU load).
			if tc.spec.Protocol == UDP && res.SumReceived.LostPackets != 0 {
				t.Errorf("UDP loss on loopback: %d", res.SumReceived.LostPackets)
			}
		})
	}
}

// TestPacing checks -b holds the asked rate within 1% for TCP and UDP. A
// paced sender writes a block once the bytes before it are due, so it
// may end up to one block per stream ahead: with the default 1 MiB blocks
// that is 2.1% of 2 s at 200 Mbit/s (405 of 400 Mbit/s was seen beside a
// CPU hog), so the TCP cases write 128 KiB blocks (at most 0.27%).
func TestPacing(t *testing.T) {
	addr := startServer(t, &Server{})
	for _, tc := range []Spec{
		{Protocol: TCP, Duration: 2 * time.Second, Rate: 500e6, Length: 128 << 10},
		{Protocol: TCP, Duration: 2 * time.Second, Rate: 200e6, Streams: 2, Length: 128 << 10},
		{Protocol: UDP, Duration: 2 * time.Second, Rate: 100e6},
		{Protocol: UDP, Duration: 2 * time.Second, Rate: 300e6, Reverse: true},
	} {
		t.Run(fmt.Sprintf("%s-%dM-P%d-R%v", tc.Protocol, tc.Rate/1e6, tc.Streams, tc.Reverse), func(t *testing.T) {
			res, err := (&Client{}).Run(context.Background(), addr, tc)
			if err != nil {
				t.Fatal(err)
			}
			want := float64(tc.Rate) * float64(max(tc.Streams, 1))
			got := res.SumSent.BitsPerSecond
			t.Logf("asked %.0f Mbit/s, sent %.2f Mbit/s", want/1e6, got/1e6)
			if got < 0.99*want || got > 1.01*want {
				t.Errorf("sent at %.2f Mbit/s, asked %.0f: more than 1%% off", got/1e6, want/1e6)
			}
		})
	}
}
