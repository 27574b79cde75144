package stats

import (
	"math"
	"testing"
)

// wantFloor fails unless got is a floor exactly when want is not NaN, and
// says whether there is one to check further.
func wantFloor(t *testing.T, got *Floor, want float64) bool {
	t.Helper()
	switch {
	case math.IsNaN(want) && got != nil:
		t.Fatalf("got %+v, want none", got)
	case !math.IsNaN(want) && got == nil:
		t.Fatal("got none")
	}
	return got != nil
}

func TestPathFloor(t *testing.T) {
	// mtuFloor is 1 − goodput per wire byte of an m-byte packet over that
	// of a u-byte one: (m − h)/(m + 14) against (u − h)/(u + 14).
	mtuFloor := func(m, u, h float64) float64 { return 1 - (m-h)/(m+14)*(u+14)/(u-h) }
	vx := func(tax, mtu int) PathFacts {
		return PathFacts{Datapath: "vxlan", Encapsulated: true, HeaderTax: tax, MTU: mtu, UnderlayMTU: 1500}
	}
	with := func(p PathFacts, f func(*PathFacts)) PathFacts { f(&p); return p }
	v6 := func(p *PathFacts) { p.IPVersion = 6 }
	tests := []struct {
		name     string
		path     PathFacts
		proto    Protocol
		want     float64 // NaN: no floor
		wantMTU  int
		wantKind string
		wantH    int // header bytes inside the MTU
	}{
		{"host", PathFacts{Datapath: "host", MTU: 1500, UnderlayMTU: 1500}, TCP, 0, 1500, FloorNone, 52},
		{"routed", PathFacts{Datapath: "routed", MTU: 1500, UnderlayMTU: 1500}, TCP, 0, 1500, FloorNone, 52},
		{"routed mtu unknown", PathFacts{Datapath: "routed", UnderlayMTU: 1500}, TCP, 0, 1500, FloorNone, 52},
		{"ipip", PathFacts{Datapath: "ipip", Encapsulated: true, HeaderTax: 20, MTU: 1480, UnderlayMTU: 1500}, TCP, 20.0 / 1448, 1480, FloorHeaderTax, 52},
		{"vxlan", vx(50, 1450), TCP, 50.0 / 1448, 1450, FloorHeaderTax, 52},
		{"wireguard", PathFacts{Datapath: "wireguard", Encapsulated: true, HeaderTax: 60, MTU: 1440, UnderlayMTU: 1500}, TCP, 60.0 / 1448, 1440, FloorHeaderTax, 52},
		{"vxlan jumbo", PathFacts{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 8950, UnderlayMTU: 9000}, TCP, 50.0 / 8948, 8950, FloorHeaderTax, 52},
		{"mtu unknown", vx(50, 0), TCP, 50.0 / 1448, 1450, FloorHeaderTax, 52},
		{"mtu too big is capped", vx(50, 1500), TCP, 50.0 / 1448, 1450, FloorHeaderTax, 52},
		{"pod mtu lower than needed", vx(50, 1400), TCP, 100.0 / 1448, 1400, FloorHeaderTax, 52},
		// pod-node and pod-nodeport under vxlan: not encapsulated, only the pod's smaller MTU.
		{"vxlan pod mtu, not encapsulated", PathFacts{Datapath: "vxlan", MTU: 1450, UnderlayMTU: 1500}, TCP, mtuFloor(1450, 1500, 52), 1450, FloorMTU, 52},
		{"ipip pod mtu, not encapsulated", PathFacts{Datapath: "ipip", MTU: 1480, UnderlayMTU: 1500}, TCP, mtuFloor(1480, 1500, 52), 1480, FloorMTU, 52},
		{"not encapsulated, pod mtu above the underlay's", PathFacts{Datapath: "routed", MTU: 9000, UnderlayMTU: 1500}, TCP, 0, 1500, FloorNone, 52},
		{"path unknown", PathFacts{MTU: 1450}, TCP, math.NaN(), 0, "", 0},
		// IPv6 targets: H = 40 + 20 + 12 = 72; the tax is the underlay's (the lab's is IPv4).
		{"ipv6 over an ipv4 vxlan", with(vx(50, 1450), v6), TCP, 50.0 / 1428, 1450, FloorHeaderTax, 72},
		{"ipv6 over an ipv6 vxlan", with(vx(70, 1430), v6), TCP, 70.0 / 1428, 1430, FloorHeaderTax, 72},
		{"ipv6 over ipv6 wireguard", with(PathFacts{Datapath: "wireguard", Encapsulated: true, HeaderTax: 80, MTU: 1420, UnderlayMTU: 1500}, v6), TCP, 80.0 / 1428, 1420, FloorHeaderTax, 72},
		{"ipv6 pod mtu, not encapsulated", PathFacts{Datapath: "vxlan", MTU: 1450, UnderlayMTU: 1500, IPVersion: 6}, TCP, mtuFloor(1450, 1500, 72), 1450, FloorMTU, 72},
		// Timestamps off: H = 20 + 20 = 40 (IPv4), 60 (IPv6).
		{"timestamps off", with(vx(50, 1450), func(p *PathFacts) { p.TCPTimestampsOff = true }), TCP, 50.0 / 1460, 1450, FloorHeaderTax, 40},
		{"timestamps off, ipv6", with(vx(50, 1450), func(p *PathFacts) { p.TCPTimestampsOff, p.IPVersion = true, 6 }), TCP, 50.0 / 1440, 1450, FloorHeaderTax, 60},
		// Geneve with 8 bytes of options: T = 58, M = 1442.
		{"geneve with options", PathFacts{Datapath: "geneve", Encapsulated: true, HeaderTax: 58, MTU: 1442, UnderlayMTU: 1500}, TCP, 58.0 / 1448, 1442, FloorHeaderTax, 52},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PathFloor(tt.path, tt.proto)
			if !wantFloor(t, got, tt.want) {
				return
			}
			if math.Abs(got.Ratio-tt.want) > 1e-12 || got.MTU != tt.wantMTU || got.HeaderBytes != tt.wantH || got.Kind != tt.wantKind {
				t.Errorf("got %+v, want ratio %v mtu %d kind %s header bytes %d", got, tt.want, tt.wantMTU, tt.wantKind, tt.wantH)
			}
		})
	}
}

// TestLocalFloor: a path inside one node (no underlay MTU, as the
// record writes a same-node path) has floor 0 of kind none against its
// node-local baseline, whatever its datapath's header tax between nodes.
func TestLocalFloor(t *testing.T) {
	tests := []struct {
		name    string
		path    PathFacts
		proto   Protocol
		headers int
	}{
		{"pod-pod-same, vxlan lab", PathFacts{Datapath: "vxlan", MTU: 1450}, TCP, 52},
		{"pod-pod-same, bridge", PathFacts{Datapath: "bridge", MTU: 1500}, TCP, 52},
		{"node-node-same", PathFacts{Datapath: "host", MTU: 65536}, TCP, 52},
		{"ipv6", PathFacts{Datapath: "routed", MTU: 1500, IPVersion: 6}, TCP, 72},
		{"udp", PathFacts{Datapath: "bridge", MTU: 1500, Datagram: 1400}, UDP, 28},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PathFloor(tt.path, tt.proto)
			if !wantFloor(t, got, 0) {
				return
			}
			if got.Ratio != 0 || got.Kind != FloorNone || got.HeaderTax != 0 || got.UnderlayMTU != 0 ||
				got.MTU != tt.path.MTU || got.HeaderBytes != tt.headers || got.Datagram != tt.path.Datagram {
				t.Errorf("got %+v, want ratio 0, kind none, MTU %d, header bytes %d", got, tt.path.MTU, tt.headers)
			}
		})
	}
	if f := PathFloor(PathFacts{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 1450}, TCP); f != nil {
		t.Errorf("an encapsulated path without an underlay MTU: got %+v, want no floor (the underlay is unknown)", f)
	}
}

// TestUDPFloor: a datagram of P bytes costs P + 8 (UDP) + IP header + 14
// (Ethernet) on the wire, plus the header tax when encapsulated; above the
// MTU it is split into fragments of a multiple of 8 bytes of the UDP
// datagram, each with its own IP header (+ 8 for IPv6's fragment header),
// tax and Ethernet header. Values computed by hand.
func TestUDPFloor(t *testing.T) {
	vx := PathFacts{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 1450, UnderlayMTU: 1500}
	podMTU := PathFacts{Datapath: "vxlan", MTU: 1450, UnderlayMTU: 1500}
	routed := PathFacts{Datapath: "routed", MTU: 1500, UnderlayMTU: 1500}
	with := func(p PathFacts, datagram, ipVersion int) PathFacts {
		p.Datagram, p.IPVersion = datagram, ipVersion
		return p
	}
	tests := []struct {
		name      string
		path      PathFacts
		want      float64 // NaN: no floor
		kind      string
		fragments int
		headers   int // IP + UDP
	}{
		// 1400 + 28 + 14 = 1442 on the baseline, + 50 = 1492 through vxlan.
		{"vxlan, fits", with(vx, 1400, 4), 1 - 1442.0/1492, FloorHeaderTax, 1, 28},
		{"routed, fits", with(routed, 1400, 4), 0, FloorNone, 1, 28},
		{"pod mtu, fits both", with(podMTU, 1400, 4), 0, FloorNone, 1, 28},
		// 1448 + 8 + 20 = 1476 > 1450: fragments of ⌊1430/8⌋·8 = 1424 B, 2 of them:
		// 1456 + 2·34 = 1524 against 1456 + 34 = 1490 whole on the baseline.
		{"pod mtu, fragments", with(podMTU, 1448, 4), 1 - 1490.0/1524, FloorMTU, 2, 28},
		// the same through vxlan: 1456 + 2·(20 + 50 + 14) = 1624.
		{"vxlan, fragments", with(vx, 1448, 4), 1 - 1490.0/1624, FloorHeaderTax, 2, 28},
		// 8000 B: 8008 in 6 fragments of ≤ 1480 on the baseline (8008 + 6·34 = 8212),
		// 6 of ≤ 1424 through vxlan (8008 + 6·84 = 8512).
		{"vxlan, large datagram", with(vx, 8000, 4), 1 - 8212.0/8512, FloorHeaderTax, 6, 28},
		{"routed, large datagram", with(routed, 8000, 4), 0, FloorNone, 6, 28},
		// IPv6 inside the lab's IPv4 vxlan: 1408 + 40 + 14 = 1462, + 50 = 1512.
		{"ipv6 over vxlan", with(vx, 1400, 6), 1 - 1462.0/1512, FloorHeaderTax, 1, 48},
		// IPv6: 1456 + 40 = 1496 > 1450: fragments with a 48-byte header, ⌊1402/8⌋·8 = 1400 B,
		// 2 of them: 1456 + 2·(48 + 14) = 1580 against 1456 + 54 = 1510.
		{"ipv6, fragments", with(podMTU, 1448, 6), 1 - 1510.0/1580, FloorMTU, 2, 48},
		{"no datagram size", with(vx, 0, 4), math.NaN(), "", 0, 0},
		{"path unknown", with(PathFacts{MTU: 1500}, 1400, 4), math.NaN(), "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PathFloor(tt.path, UDP)
			if !wantFloor(t, got, tt.want) {
				return
			}
			if math.Abs(got.Ratio-tt.want) > 1e-12 || got.Kind != tt.kind || got.Fragments != tt.fragments || got.HeaderBytes != tt.headers ||
				got.Datagram != tt.path.Datagram || got.FrameBytes != EthernetHeaderBytes {
				t.Errorf("got %+v, want ratio %v kind %s fragments %d headers %d", got, tt.want, tt.kind, tt.fragments, tt.headers)
			}
		})
	}
}

// TestMTUFloorFigures pins the figures docs/statistics.md and docs/run.md
// quote, and checks the MTU floor against the lab's goodput formula
// (docs/lab.md): rate × (MTU − 52)/(MTU + 14) for each side.
func TestMTUFloorFigures(t *testing.T) {
	for _, tt := range []struct {
		mtu, underlay int
		want          float64 // percent, as the docs round it
	}{{1450, 1500, 0.16}, {1480, 1500, 0.06}, {1440, 1500, 0.19}, {8950, 9000, 0.0}} {
		f := PathFloor(PathFacts{Datapath: "x", MTU: tt.mtu, UnderlayMTU: tt.underlay}, TCP)
		if got := math.Round(f.Ratio*1e4) / 100; got != tt.want {
			t.Errorf("MTU %d on %d: floor %.4f%%, docs say %.2f%%", tt.mtu, tt.underlay, f.Ratio*100, tt.want)
		}
		const rate = 1e9
		pod := rate * float64(tt.mtu-52) / float64(tt.mtu+14)
		node := rate * float64(tt.underlay-52) / float64(tt.underlay+14)
		if d := math.Abs(1 - pod/node - f.Ratio); d > 1e-12 {
			t.Errorf("MTU %d on %d: floor %v, lab formula %v", tt.mtu, tt.underlay, f.Ratio, 1-pod/node)
		}
	}
}
