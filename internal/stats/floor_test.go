package stats

import (
	"math"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
)

func TestHeaderTaxFloor(t *testing.T) {
	tests := []struct {
		name    string
		path    cluster.Path
		proto   engine.Protocol
		want    float64 // NaN: no floor
		wantMTU int
	}{
		{"host", cluster.Path{Datapath: "host", MTU: 1500, UnderlayMTU: 1500}, engine.TCP, 0, 1500},
		{"routed", cluster.Path{Datapath: "routed", MTU: 1500, UnderlayMTU: 1500}, engine.TCP, 0, 1500},
		{"ipip", cluster.Path{Datapath: "ipip", Encapsulated: true, HeaderTax: 20, MTU: 1480, UnderlayMTU: 1500}, engine.TCP, 20.0 / 1448, 1480},
		{"vxlan", cluster.Path{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 1450, UnderlayMTU: 1500}, engine.TCP, 50.0 / 1448, 1450},
		{"wireguard", cluster.Path{Datapath: "wireguard", Encapsulated: true, HeaderTax: 60, MTU: 1440, UnderlayMTU: 1500}, engine.TCP, 60.0 / 1448, 1440},
		{"vxlan jumbo", cluster.Path{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 8950, UnderlayMTU: 9000}, engine.TCP, 50.0 / 8948, 8950},
		{"mtu unknown", cluster.Path{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, UnderlayMTU: 1500}, engine.TCP, 50.0 / 1448, 1450},
		{"mtu too big is capped", cluster.Path{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 1500, UnderlayMTU: 1500}, engine.TCP, 50.0 / 1448, 1450},
		{"pod mtu lower than needed", cluster.Path{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 1400, UnderlayMTU: 1500}, engine.TCP, 100.0 / 1448, 1400},
		{"udp", cluster.Path{Datapath: "vxlan", HeaderTax: 50, MTU: 1450, UnderlayMTU: 1500}, engine.UDP, math.NaN(), 0},
		{"no underlay", cluster.Path{Datapath: "vxlan", HeaderTax: 50, MTU: 1450}, engine.TCP, math.NaN(), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := HeaderTaxFloor(tt.path, tt.proto)
			if math.IsNaN(tt.want) {
				if got != nil {
					t.Fatalf("got %+v, want none", got)
				}
				return
			}
			if got == nil {
				t.Fatal("got none")
			}
			if math.Abs(got.Ratio-tt.want) > 1e-12 || got.MTU != tt.wantMTU || got.HeaderBytes != 52 {
				t.Errorf("got %+v, want ratio %v mtu %d", got, tt.want, tt.wantMTU)
			}
		})
	}
}
