package stats

import (
	"math"
	"testing"
)

func TestPathFloor(t *testing.T) {
	// mtuFloor is 1 − goodput per wire byte of an m-byte packet over that
	// of a u-byte one: (m − 52)/(m + 14) against (u − 52)/(u + 14).
	mtuFloor := func(m, u float64) float64 { return 1 - (m-52)/(m+14)*(u+14)/(u-52) }
	tests := []struct {
		name     string
		path     PathFacts
		proto    Protocol
		want     float64 // NaN: no floor
		wantMTU  int
		wantKind string
	}{
		{"host", PathFacts{Datapath: "host", MTU: 1500, UnderlayMTU: 1500}, TCP, 0, 1500, FloorNone},
		{"routed", PathFacts{Datapath: "routed", MTU: 1500, UnderlayMTU: 1500}, TCP, 0, 1500, FloorNone},
		{"routed mtu unknown", PathFacts{Datapath: "routed", UnderlayMTU: 1500}, TCP, 0, 1500, FloorNone},
		{"ipip", PathFacts{Datapath: "ipip", Encapsulated: true, HeaderTax: 20, MTU: 1480, UnderlayMTU: 1500}, TCP, 20.0 / 1448, 1480, FloorHeaderTax},
		{"vxlan", PathFacts{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 1450, UnderlayMTU: 1500}, TCP, 50.0 / 1448, 1450, FloorHeaderTax},
		{"wireguard", PathFacts{Datapath: "wireguard", Encapsulated: true, HeaderTax: 60, MTU: 1440, UnderlayMTU: 1500}, TCP, 60.0 / 1448, 1440, FloorHeaderTax},
		{"vxlan jumbo", PathFacts{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 8950, UnderlayMTU: 9000}, TCP, 50.0 / 8948, 8950, FloorHeaderTax},
		{"mtu unknown", PathFacts{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, UnderlayMTU: 1500}, TCP, 50.0 / 1448, 1450, FloorHeaderTax},
		{"mtu too big is capped", PathFacts{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 1500, UnderlayMTU: 1500}, TCP, 50.0 / 1448, 1450, FloorHeaderTax},
		{"pod mtu lower than needed", PathFacts{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 1400, UnderlayMTU: 1500}, TCP, 100.0 / 1448, 1400, FloorHeaderTax},
		// pod-node and pod-nodeport under vxlan: not encapsulated, only the pod's smaller MTU.
		{"vxlan pod mtu, not encapsulated", PathFacts{Datapath: "vxlan", MTU: 1450, UnderlayMTU: 1500}, TCP, mtuFloor(1450, 1500), 1450, FloorMTU},
		{"ipip pod mtu, not encapsulated", PathFacts{Datapath: "ipip", MTU: 1480, UnderlayMTU: 1500}, TCP, mtuFloor(1480, 1500), 1480, FloorMTU},
		{"not encapsulated, pod mtu above the underlay's", PathFacts{Datapath: "routed", MTU: 9000, UnderlayMTU: 1500}, TCP, 0, 1500, FloorNone},
		{"udp", PathFacts{Datapath: "vxlan", HeaderTax: 50, MTU: 1450, UnderlayMTU: 1500}, UDP, math.NaN(), 0, ""},
		{"no underlay", PathFacts{Datapath: "vxlan", HeaderTax: 50, MTU: 1450}, TCP, math.NaN(), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PathFloor(tt.path, tt.proto)
			if math.IsNaN(tt.want) {
				if got != nil {
					t.Fatalf("got %+v, want none", got)
				}
				return
			}
			if got == nil {
				t.Fatal("got none")
			}
			if math.Abs(got.Ratio-tt.want) > 1e-12 || got.MTU != tt.wantMTU || got.HeaderBytes != 52 || got.Kind != tt.wantKind {
				t.Errorf("got %+v, want ratio %v mtu %d kind %s", got, tt.want, tt.wantMTU, tt.wantKind)
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
