package bench

import (
	"testing"

	"github.com/cnibench/cnibench/internal/engine"
)

// TestBlockSizes: the plan and its record say the bytes per write and per
// datagram, the engine's default included.
func TestBlockSizes(t *testing.T) {
	for _, tc := range []struct {
		plan          Plan
		text          string
		tcpW, udpDgrm int
	}{
		{Plan{}, "TCP writes of 1 MiB", 1 << 20, 0},
		{Plan{Protocols: []engine.Protocol{engine.TCP, engine.UDP}}, "TCP writes of 1 MiB, UDP datagrams of the path's MSS", 1 << 20, 0},
		{Plan{Protocols: []engine.Protocol{engine.TCP, engine.UDP}, MsgSize: 1400}, "TCP writes of 1400 B, UDP datagrams of 1400 B", 1400, 1400},
		{Plan{MsgSize: 128 << 10}, "TCP writes of 128 KiB", 128 << 10, 0},
	} {
		p := tc.plan.WithDefaults()
		if got := p.BlockSizes(); got != tc.text {
			t.Errorf("%+v: BlockSizes %q, want %q", tc.plan, got, tc.text)
		}
		if r := p.Record(); r.TCPWrite != tc.tcpW || r.UDPDatagram != tc.udpDgrm {
			t.Errorf("%+v: record tcp_write %d, udp_datagram %d; want %d, %d", tc.plan, r.TCPWrite, r.UDPDatagram, tc.tcpW, tc.udpDgrm)
		}
	}
}
