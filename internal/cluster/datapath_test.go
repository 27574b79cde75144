package cluster

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
)

func TestDatapathHeaderTax(t *testing.T) {
	for _, tc := range []struct {
		d          Datapath
		ipv4, ipv6 int
		encap      bool
	}{
		{Host, 0, 0, false},
		{Bridge, 0, 0, false},
		{Routed, 0, 0, false},
		{VXLAN, 20 + 8 + 8 + 14, 40 + 8 + 8 + 14, true},
		{Geneve, 20 + 8 + 8 + 14, 40 + 8 + 8 + 14, true},
		{IPIP, 20, 40, true},
		{WireGuard, 20 + 8 + 16 + 16, 40 + 8 + 16 + 16, true},
		{Unknown, 0, 0, false},
	} {
		if got := tc.d.HeaderTax(IPv4); got != tc.ipv4 {
			t.Errorf("%s over IPv4: %d, want %d", tc.d, got, tc.ipv4)
		}
		if got := tc.d.HeaderTax(IPv6); got != tc.ipv6 {
			t.Errorf("%s over IPv6: %d, want %d", tc.d, got, tc.ipv6)
		}
		if tc.d.Encapsulates() != tc.encap {
			t.Errorf("%s encapsulates: %v", tc.d, !tc.encap)
		}
	}
}

func TestParseDatapath(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Datapath
		err  string
	}{
		{"vxlan", VXLAN, ""},
		{" WireGuard ", WireGuard, ""},
		{"geneve", Geneve, ""},
		{"unknown", Unknown, ""},
		{"calico", "", `datapath "calico": use one of host, bridge, routed, vxlan, geneve, ipip, wireguard, unknown`},
		{"", "", `datapath "": use one of`},
	} {
		got, err := ParseDatapath(tc.in)
		if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("ParseDatapath(%q) = %q, %v; want %q, %q", tc.in, got, err, tc.want, tc.err)
		}
	}
	for _, d := range Datapaths {
		if got, err := ParseDatapath(d.String()); got != d || err != nil {
			t.Errorf("%s does not parse back: %q, %v", d, got, err)
		}
	}
}

// TestDatapathJSON: the run record carries a datapath as its bare name.
func TestDatapathJSON(t *testing.T) {
	b, err := json.Marshal(Path{Datapath: VXLAN})
	if err != nil || !strings.HasPrefix(string(b), `{"datapath":"vxlan",`) {
		t.Errorf("%s, %v", b, err)
	}
}

func TestFamily(t *testing.T) {
	for _, tc := range []struct {
		addr string
		f    Family
		ip   int
	}{
		{"198.18.0.1", IPv4, 20},
		{"::ffff:198.18.0.1", IPv4, 20},
		{"fd00:198:18::1", IPv6, 40},
	} {
		f := FamilyOf(netip.MustParseAddr(tc.addr))
		if f != tc.f || f.IPHeaderBytes() != tc.ip {
			t.Errorf("%s: family %d, IP header %d", tc.addr, f, f.IPHeaderBytes())
		}
	}
}
