package lab

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestDefaults(t *testing.T) {
	c := Config{}.WithDefaults()
	if c.Nodes != 3 || c.PodsPerNode != 2 || c.Datapath != Routed || c.UnderlayMTU != 1500 || c.PodMTU != 1500 || len(c.ID) != 6 {
		t.Fatalf("defaults: %+v", c)
	}
	for d, mtu := range map[Datapath]int{Routed: 1500, VXLAN: 1450, IPIP: 1480, WireGuard: 1440} {
		if got := (Config{Datapath: d}).WithDefaults().PodMTU; got != mtu {
			t.Errorf("%s pod MTU %d, want %d", d, got, mtu)
		}
	}
	if got := (Config{Datapath: VXLAN, UnderlayMTU: 9000}).WithDefaults().PodMTU; got != 8950 {
		t.Errorf("vxlan on 9000: pod MTU %d", got)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{ID: "Bad-ID"}, "lab ID"},
		{Config{Nodes: 65}, "nodes 65"},
		{Config{PodsPerNode: 27}, "pods per node"},
		{Config{Datapath: "geneve"}, `datapath "geneve": use one of routed, vxlan, ipip, wireguard`},
		{Config{UnderlayMTU: 100}, "underlay MTU"},
		{Config{PodMTU: 100}, "pod MTU"},
		{Config{DualStack: true, PodMTU: 1000}, "IPv6 needs"},
		{Config{LinkRate: 10}, "link rate"},
		{Config{PolicyRules: -1}, "policy rules"},
		{Config{SlowNode: 4, SlowNodeRate: 1e8}, "slow node node-4: the lab has 3 nodes"},
		{Config{SlowNode: 2, SlowNodeRate: 10}, "node-2's link rate"},
		{Config{ServiceProxy: "ipvs"}, `service proxy "ipvs": use nftables or iptables`},
		{Config{Services: MaxServices + 1}, "services 8001: use 0..8000"},
	} {
		err := tc.cfg.WithDefaults().Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
	if err := (Config{}).WithDefaults().Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

func TestAddressingPlan(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{NodeIP(2).String(), "198.18.0.2"},
		{NodeIP6(12).String(), "fd00:198:18::12"},
		{PodCIDR(3).String(), "198.19.3.0/24"},
		{PodIP(3, 2).String(), "198.19.3.12"},
		{PodIP6(3, 2).String(), "fd00:198:19:3::12"},
		{PodCIDR6(3).String(), "fd00:198:19:3::/64"},
		{ClusterIP(0).String(), "198.18.128.10"},
		{ClusterIP6(0).String(), "fd00:198:18:128::10"},
		{PodName(2, 1), "pod-2a"},
		{switchPortName("abcdefgh", 64), "cbabcdefghs64"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
	}
	for _, p := range []interface{ String() string }{PodCIDR(64), ClusterIP(4000), NodeIP(64)} {
		a := p.String()
		if !strings.HasPrefix(a, "198.18.") && !strings.HasPrefix(a, "198.19.") {
			t.Errorf("%s is outside 198.18.0.0/15", a)
		}
	}
	if n := len(podVethName("abcdefgh", 26)); n > 15 {
		t.Errorf("interface name too long: %d", n)
	}
}

// TestInfoWarnsMTUMismatch: a lab whose pod MTU does not fit the underlay
// under its datapath says so in its Info, with the flag that fixes it; a
// defaulted lab says nothing.
func TestInfoWarnsMTUMismatch(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want []string // substrings of the one warning; nil = none
	}{
		{Config{}, nil},
		{Config{Datapath: VXLAN}, nil},
		{Config{Datapath: WireGuard, UnderlayMTU: 9000}, nil},
		{Config{Datapath: VXLAN, PodMTU: 1500}, []string{"MTU mismatch on every node: pod MTU 1500 > 1450", "blackhole", "set --pod-mtu to 1450 (node MTU 1500 − VXLAN 50)"}},
		{Config{PodMTU: 1600}, []string{"pod MTU 1600 > 1500", "set --pod-mtu to 1500 (node MTU 1500, routed: no encapsulation)"}},
		{Config{Datapath: IPIP, PodMTU: 1280}, []string{"pod MTU 1280 is 200 below 1480", "set --pod-mtu to 1480"}},
		{Config{Nodes: 1, Datapath: VXLAN, PodMTU: 1500}, nil}, // pod traffic never leaves the node
	} {
		info, err := (&Lab{cfg: tc.cfg.WithDefaults()}).Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(info.Warnings) != min(len(tc.want), 1) {
			t.Errorf("%+v: warnings %q", tc.cfg, info.Warnings)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(info.Warnings[0], w) {
				t.Errorf("%+v: %q lacks %q", tc.cfg, info.Warnings[0], w)
			}
		}
	}
}

// TestInfoFacts: the lab says what it is, in lines a report prints.
func TestInfoFacts(t *testing.T) {
	for cfg, want := range map[Config][]string{
		{}: {"emulated on one host: 3 nodes × 2 pods, network namespaces joined by veths",
			"datapath routed, MTU 1500 (pods) / 1500 (underlay), uplinks unshaped (the figures measure this host's CPU)",
			"Services: kube-proxy's nftables mode (emulated)", cpuFact},
		{Nodes: 2, PodsPerNode: 1, DualStack: true, Datapath: VXLAN, LinkRate: 1e9, PolicyRules: 100, ServiceProxy: IPTablesProxy, Services: 1000}: {
			"emulated on one host: 2 nodes × 1 pod, network namespaces joined by veths, dual-stack (IPv6 pods ride the IPv4 underlay's tunnel: outer header IPv4)",
			"datapath vxlan, MTU 1450 (pods) / 1500 (underlay), uplinks shaped to 1 Gbit/s, 100 policy rules",
			"Services: kube-proxy's iptables mode (emulated), 1000 other Services in the tables", cpuFact},
		{Nodes: 8, LinkRate: 1e9, SlowNode: 5, SlowNodeRate: 2e8}: {
			"emulated on one host: 8 nodes × 2 pods, network namespaces joined by veths",
			"datapath routed, MTU 1500 (pods) / 1500 (underlay), uplinks shaped to 1 Gbit/s, node-5's uplink shaped to 200 Mbit/s both ways",
			"Services: kube-proxy's nftables mode (emulated)", cpuFact},
	} {
		info, err := (&Lab{cfg: cfg.WithDefaults()}).Info(context.Background())
		if err != nil || !slices.Equal(info.Facts, want) {
			t.Errorf("%+v: facts %q, %v; want %q", cfg, info.Facts, err, want)
		}
	}
}
