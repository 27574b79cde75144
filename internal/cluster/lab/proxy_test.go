package lab

import (
	"net/netip"
	"testing"
)

// TestDummyServiceAddrs: dummy Services stay in their ranges, never on a
// measured Service's ClusterIP nor on a pod that exists.
func TestDummyServiceAddrs(t *testing.T) {
	for _, i := range []int{0, 1, 255, 256, MaxServices - 1} {
		s := dummyService(i)
		v4, v6 := serviceVIP(s, fam4), serviceVIP(s, fam6)
		if !DummyServices4.Contains(v4) || !DummyServices6.Contains(v6) || ServiceCIDR.Contains(v4) {
			t.Errorf("dummy %d: ClusterIPs %s %s", i, v4, v6)
		}
		if !dummyBackends4.Contains(s.backend4) || !dummyBackends6.Contains(s.backend6) || s.backend4 == dummyBackends4.Addr() {
			t.Errorf("dummy %d: backends %s %s", i, s.backend4, s.backend6)
		}
	}
	if got := serviceVIP(dummyService(300), fam4); got != netip.MustParseAddr("198.18.161.44") {
		t.Errorf("dummy 300: %s", got)
	}
	if got := serviceVIP(service{n: 2}, fam4); got != ClusterIP(2) {
		t.Errorf("measured Service 2: %s", got)
	}
}
