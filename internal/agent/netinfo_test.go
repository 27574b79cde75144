package agent

import (
	"bytes"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func netipMust(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// TestInterfacesRoundTrip: netinfo's output, as this machine's interfaces
// give it, reads back unchanged.
func TestInterfacesRoundTrip(t *testing.T) {
	ifs, err := Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	if len(ifs) == 0 {
		t.Fatal("no interfaces, not even lo")
	}
	var buf bytes.Buffer
	if err := WriteInterfaces(&buf, ifs); err != nil {
		t.Fatal(err)
	}
	got, err := ReadInterfaces(buf.Bytes())
	if err != nil || !reflect.DeepEqual(got, ifs) {
		t.Errorf("read back %+v, %v\nwant %+v", got, err, ifs)
	}
	if _, err := ReadInterfaces([]byte("eth0: mtu 1500")); err == nil || !strings.Contains(err.Error(), "netinfo output") {
		t.Errorf("foreign output: %v", err)
	}
}

func TestLoopbackMTU(t *testing.T) {
	for _, tc := range []struct {
		name string
		ifs  []NetInterface
		want int
	}{
		{"lo", []NetInterface{{Name: "eth0", MTU: 1500}, {Name: "lo", MTU: 65536}}, 65536},
		{"renamed, by its address", []NetInterface{{Name: "eth0", MTU: 1500, Addrs: []string{"198.18.0.1/24"}}, {Name: "loop0", MTU: 16384, Addrs: []string{"::1/128"}}}, 16384},
		{"none", []NetInterface{{Name: "eth0", MTU: 1500}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := LoopbackMTU(tc.ifs); got != tc.want {
				t.Errorf("LoopbackMTU = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestMTUOf(t *testing.T) {
	ifs := []NetInterface{
		{Name: "lo", MTU: 65536, Addrs: []string{"127.0.0.1/8"}},
		{Name: "eth0", MTU: 1450, Addrs: []string{"198.19.0.3/24", "fd00::3/64"}},
		{Name: "tun0", MTU: 1400, Addrs: []string{"198.18.9.1/32"}},
	}
	for _, tc := range []struct {
		name string
		ifs  []NetInterface
		addr string
		want int
	}{
		{"the interface holding the address", ifs, "198.18.9.1", 1400},
		{"IPv6", ifs, "fd00::3", 1450},
		{"else eth0", ifs, "198.19.7.7", 1450},
		{"else unknown", ifs[:1], "198.19.7.7", 0},
		{"no interfaces", nil, "198.19.7.7", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := MTUOf(tc.ifs, netip.MustParseAddr(tc.addr)); got != tc.want {
				t.Errorf("MTUOf(%s) = %d, want %d", tc.addr, got, tc.want)
			}
		})
	}
}
