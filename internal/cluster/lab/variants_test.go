package lab

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestMatrixVariants(t *testing.T) {
	for _, tc := range []struct {
		name    string
		m       Matrix
		labels  []string
		podMTUs []int
		err     string
	}{
		{"default", Matrix{}, []string{"datapath=routed"}, []int{1500}, ""},
		{"one datapath", Matrix{Datapaths: []Datapath{VXLAN}, LinkRates: []uint64{1e9}}, []string{"datapath=vxlan"}, []int{1450}, ""},
		{"two datapaths keep their own pod MTU", Matrix{Datapaths: []Datapath{Routed, VXLAN}},
			[]string{"datapath=routed", "datapath=vxlan"}, []int{1500, 1450}, ""},
		{"two knobs, first slowest", Matrix{Datapaths: []Datapath{Routed, VXLAN}, LinkRates: []uint64{1e9, 5e8}},
			[]string{"datapath=routed,link-rate=1gbit", "datapath=routed,link-rate=500mbit", "datapath=vxlan,link-rate=1gbit", "datapath=vxlan,link-rate=500mbit"},
			[]int{1500, 1500, 1450, 1450}, ""},
		{"pod MTU mismatch", Matrix{Datapaths: []Datapath{VXLAN}, PodMTUs: []int{0, 1500}},
			[]string{"datapath=vxlan,pod-mtu=default", "datapath=vxlan,pod-mtu=1500"}, []int{1450, 1500}, ""},
		{"policy sweep", Matrix{PolicyRules: []int{0, 1000}, MTUs: []int{9000}},
			[]string{"datapath=routed,policy-rules=0", "datapath=routed,policy-rules=1000"}, []int{9000, 9000}, ""},
		{"service proxy labelled when given", Matrix{ServiceProxies: []ServiceProxy{IPTablesProxy}, Services: []int{0, 1000}},
			[]string{"datapath=routed,service-proxy=iptables,services=0", "datapath=routed,service-proxy=iptables,services=1000"}, []int{1500, 1500}, ""},
		{"bad value", Matrix{Datapaths: []Datapath{"calico"}}, nil, nil, `datapath "calico": use one of routed, vxlan, ipip, wireguard`},
		{"bad MTU", Matrix{MTUs: []int{1500, 100}}, nil, nil, "datapath=routed,mtu=100: underlay MTU 100"},
		{"too many", Matrix{PolicyRules: make([]int, 10), MTUs: []int{1500, 1400, 1300, 1280}}, nil, nil, "more than 36 variants"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vs, err := tc.m.Variants("abc123")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if tooMany := strings.Contains(tc.err, "variants"); tooMany != errors.Is(err, ErrTooManyVariants) {
					t.Errorf("errors.Is(%v, ErrTooManyVariants) = %v", err, !tooMany)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var labels []string
			var mtus []int
			for i, v := range vs {
				labels = append(labels, v.Label)
				mtus = append(mtus, v.Config.PodMTU)
				if want := "abc123" + string("0123456789abcdefghijklmnopqrstuvwxyz"[i]); v.Config.ID != want {
					t.Errorf("variant %d: lab ID %q, want %q", i, v.Config.ID, want)
				}
			}
			if !slices.Equal(labels, tc.labels) || !slices.Equal(mtus, tc.podMTUs) {
				t.Errorf("labels %v pod MTUs %v, want %v %v", labels, mtus, tc.labels, tc.podMTUs)
			}
		})
	}
}
