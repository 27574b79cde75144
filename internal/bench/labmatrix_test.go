package bench

import (
	"slices"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster/lab"
)

func TestLabMatrix(t *testing.T) {
	for _, tc := range []struct {
		name    string
		m       LabMatrix
		labels  []string
		podMTUs []int
		err     string
	}{
		{"default", LabMatrix{}, []string{"datapath=routed"}, []int{1500}, ""},
		{"one datapath", LabMatrix{Datapaths: []lab.Datapath{lab.VXLAN}, LinkRates: []uint64{1e9}}, []string{"datapath=vxlan"}, []int{1450}, ""},
		{"two datapaths keep their own pod MTU", LabMatrix{Datapaths: []lab.Datapath{lab.Routed, lab.VXLAN}},
			[]string{"datapath=routed", "datapath=vxlan"}, []int{1500, 1450}, ""},
		{"two knobs, first slowest", LabMatrix{Datapaths: []lab.Datapath{lab.Routed, lab.VXLAN}, LinkRates: []uint64{1e9, 5e8}},
			[]string{"datapath=routed,link-rate=1gbit", "datapath=routed,link-rate=500mbit", "datapath=vxlan,link-rate=1gbit", "datapath=vxlan,link-rate=500mbit"},
			[]int{1500, 1500, 1450, 1450}, ""},
		{"pod MTU mismatch", LabMatrix{Datapaths: []lab.Datapath{lab.VXLAN}, PodMTUs: []int{0, 1500}},
			[]string{"datapath=vxlan,pod-mtu=default", "datapath=vxlan,pod-mtu=1500"}, []int{1450, 1500}, ""},
		{"policy sweep", LabMatrix{PolicyRules: []int{0, 1000}, MTUs: []int{9000}},
			[]string{"datapath=routed,policy-rules=0", "datapath=routed,policy-rules=1000"}, []int{9000, 9000}, ""},
		{"bad value", LabMatrix{Datapaths: []lab.Datapath{"calico"}}, nil, nil, `datapath "calico": use one of routed, vxlan, ipip, wireguard`},
		{"bad MTU", LabMatrix{MTUs: []int{1500, 100}}, nil, nil, "datapath=routed,mtu=100: underlay MTU 100"},
		{"too many", LabMatrix{PolicyRules: make([]int, 10), MTUs: []int{1500, 1400, 1300, 1280}}, nil, nil, "more than 36 variants"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vs, err := tc.m.Variants("abc123")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
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
