package engine

import (
	"net"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/iperf3"
)

// TestUDPHelloResend: a UDP connect the server never got (dropped by a
// socket still full of the last test's flood) is sent again after
// helloResend, unless the server has started the test on the control
// connection: then it took the connect, and a second one would be data
// to a stock iperf3 server.
func TestUDPHelloResend(t *testing.T) {
	for _, tc := range []struct {
		name       string
		started    bool
		answer     int // the server answers the nth connect it gets (0: none)
		wantHellos int
		wantErr    bool
	}{
		{"first connect lost: resent, answered", false, 2, 2, false},
		{"first connect answered: sent once", false, 1, 1, false},
		{"server started the test: not resent", true, 2, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			hellos := make(chan int, 1)
			go func() {
				n := 0
				buf := make([]byte, 64)
				for {
					_ = srv.SetReadDeadline(time.Now().Add(3 * helloResend))
					m, addr, err := srv.ReadFrom(buf)
					if err != nil {
						hellos <- n
						return
					}
					if m == 4 && [4]byte(buf[:4]) == iperf3.UDPConnectMsg {
						n++
						if n == tc.answer {
							_, _ = srv.WriteTo(iperf3.UDPReplyMsg[:], addr)
						}
					}
				}
			}()
			conn, err := net.Dial("udp", srv.LocalAddr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			err = udpHello(conn, false, helloResend+helloResend/2, func() bool { return tc.started })
			if (err != nil) != tc.wantErr {
				t.Errorf("udpHello: %v, want an error: %v", err, tc.wantErr)
			}
			if n := <-hellos; n != tc.wantHellos {
				t.Errorf("the server got %d connects, want %d", n, tc.wantHellos)
			}
		})
	}
}
