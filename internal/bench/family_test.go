package bench

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster"
)

func TestSweepFamilies(t *testing.T) {
	base := []Variant{{Label: "datapath=routed"}, {Label: "datapath=vxlan"}}
	for _, tc := range []struct {
		families []cluster.Family
		labels   []string
		shared   bool
	}{
		{nil, []string{"datapath=routed", "datapath=vxlan"}, false},
		{[]cluster.Family{cluster.IPv4}, []string{"datapath=routed", "datapath=vxlan"}, false},
		{[]cluster.Family{cluster.IPv6}, []string{"datapath=routed,ip-family=IPv6", "datapath=vxlan,ip-family=IPv6"}, false},
		{[]cluster.Family{cluster.IPv4, cluster.IPv6}, []string{"datapath=routed,ip-family=IPv4", "datapath=routed,ip-family=IPv6",
			"datapath=vxlan,ip-family=IPv4", "datapath=vxlan,ip-family=IPv6"}, true},
	} {
		vs := SweepFamilies(base, tc.families)
		var labels []string
		for _, v := range vs {
			labels = append(labels, v.Label)
		}
		if strings.Join(labels, " ") != strings.Join(tc.labels, " ") {
			t.Errorf("%v: labels %v, want %v", tc.families, labels, tc.labels)
			continue
		}
		if tc.shared && (vs[0].Share == "" || vs[0].Share != vs[1].Share || vs[1].Share == vs[2].Share) {
			t.Errorf("%v: shares %q %q %q: one cluster per datapath, both families on it", tc.families, vs[0].Share, vs[1].Share, vs[2].Share)
		}
		// crossed with a message-size sweep, the families keep one cluster
		if tc.shared {
			sw := SweepVariants(vs, []int{64, 1024}, nil)
			if len(sw) != 8 || sw[0].Share != sw[3].Share || sw[0].Label != "datapath=routed,ip-family=IPv4,msg-size=64" {
				t.Errorf("with msg-size: %d variants, %q %q %q", len(sw), sw[0].Label, sw[0].Share, sw[3].Share)
			}
		}
	}
}

// TestFamilyTargets: a variant's family picks each endpoint's and
// Service's address of that family; a missing one is an error or a skip
// that names the family.
func TestFamilyTargets(t *testing.T) {
	v4, v6 := netip.MustParseAddr("198.19.2.11"), netip.MustParseAddr("fd00:198:19:2::11")
	pod := cluster.Endpoint{Name: "pod-2a", Node: "node-2", Kind: cluster.PodEndpoint, Addrs: []netip.Addr{v4, v6}}
	only4 := cluster.Endpoint{Name: "pod-2b", Node: "node-2", Kind: cluster.PodEndpoint, Addrs: []netip.Addr{v4}}
	direct := cluster.Target{Kind: cluster.DirectTarget, Addr: netip.AddrPortFrom(v4, 5201), Backend: pod}
	for _, tc := range []struct {
		f    cluster.Family
		t    cluster.Target
		want string
	}{
		{0, direct, "198.19.2.11:5201"},
		{cluster.IPv4, direct, "198.19.2.11:5201"},
		{cluster.IPv6, direct, "[fd00:198:19:2::11]:5201"},
		{cluster.IPv6, cluster.Target{Kind: cluster.DirectTarget, Addr: netip.AddrPortFrom(v4, 5201), Backend: only4}, "pod-2b has no IPv6 address"},
	} {
		got, err := inFamily(tc.t, tc.f)
		s := got.Addr.String()
		if err != nil {
			s = err.Error()
		}
		if !strings.Contains(s, tc.want) {
			t.Errorf("IPv%d %s: %s, want %s", tc.f, tc.t.Backend.Name, s, tc.want)
		}
	}
	node2 := cluster.Endpoint{Name: "node-2", Node: "node-2", Kind: cluster.NodeEndpoint,
		Addrs: []netip.Addr{netip.MustParseAddr("198.18.0.2"), netip.MustParseAddr("fd00:198:18::2")}}
	pr := pair{b: node2}
	ts := []cluster.Target{
		{Kind: cluster.ClusterIPTarget, Addr: netip.MustParseAddrPort("198.18.128.10:5201"), Backend: pod},
		{Kind: cluster.ClusterIPTarget, Addr: netip.MustParseAddrPort("[fd00:198:18:128::10]:5201"), Backend: pod},
		{Kind: cluster.NodePortTarget, Addr: netip.MustParseAddrPort("198.18.0.2:30000"), Backend: pod},
		{Kind: cluster.NodePortTarget, Addr: netip.MustParseAddrPort("[fd00:198:18::2]:30000"), Backend: pod},
	}
	clusterIP, _ := LookupScenario("pod-clusterip")
	nodePort, _ := LookupScenario("pod-nodeport")
	for _, tc := range []struct {
		sc   Scenario
		f    cluster.Family
		ts   []cluster.Target
		want string
	}{
		{clusterIP, 0, ts, "198.18.128.10:5201"},
		{clusterIP, cluster.IPv6, ts, "[fd00:198:18:128::10]:5201"},
		{nodePort, cluster.IPv4, ts, "198.18.0.2:30000"},
		{nodePort, cluster.IPv6, ts, "[fd00:198:18::2]:30000"},
		{clusterIP, cluster.IPv6, ts[:1], ""}, // a single-stack Service: no IPv6 target, no IPv4 stand-in
	} {
		got, ok := serviceTarget(tc.ts, tc.sc, pr, tc.f)
		if s := got.Addr.String(); ok != (tc.want != "") || (ok && s != tc.want) {
			t.Errorf("%s IPv%d: %s %v, want %q", tc.sc.Name, tc.f, s, ok, tc.want)
		}
	}
	err := checkFamily([]placement{{scenario: clusterIP, from: pod, to: only4}}, cluster.IPv6)
	if err == nil || !strings.Contains(err.Error(), "pod-2b (pod-clusterip) has no IPv6 address") {
		t.Errorf("checkFamily: %v", err)
	}
}
