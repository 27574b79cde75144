package engine

import (
	"context"
	"net"
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
		name string
		spec Spec
	}{
		{"tcp", Spec{Duration: time.Second}},
		{"tcp-P2", Spec{Duration: time.Second, Streams: 2}},
		{"tcp-R", Spec{Duration: time.Second, Reverse: true}},
		{"tcp-bidir", Spec{Duration: time.Second, Bidir: true}},
		{"tcp-bytes", Spec{Bytes: 50 << 20}},
		{"udp", Spec{Protocol: UDP, Duration: time.Second, Rate: 100e6}},
		{"udp-R", Spec{Protocol: UDP, Duration: time.Second, Rate: 100e6, Reverse: true}},
		{"tcp-omit", Spec{Duration: time.Second, Omit: time.Second, Interval: 500 * time.Millisecond}},
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
			// The receiver's final sample may miss what was in flight, never more.
			if tc.spec.Protocol == TCP && (res.SumReceived.Bytes > res.SumSent.Bytes || res.SumReceived.Bytes < res.SumSent.Bytes*99/100) {
				t.Errorf("TCP bytes disagree: sent %d received %d", res.SumSent.Bytes, res.SumReceived.Bytes)
			}
			if tc.spec.Protocol == UDP && res.SumReceived.LostPackets != 0 {
				t.Errorf("UDP loss on loopback: %d", res.SumReceived.LostPackets)
			}
		})
	}
}
