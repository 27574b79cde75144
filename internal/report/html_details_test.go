package report

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestDetailsTable(t *testing.T) {
	type kubeNode struct {
		Name   string `json:"name"`
		Kernel string `json:"kernel"`
	}
	tests := []struct {
		name    string
		details any
		want    *detailsTable
	}{
		{"none", nil, nil},
		{"empty", map[string]any{}, nil},
		{"lab", map[string]any{"datapath": "vxlan", "underlay_mtu": 1500, "link_rate": json.Number("1000000000")},
			&detailsTable{Columns: []string{"value"}, Rows: []detailRow{
				{"datapath", []string{"vxlan"}}, {"link_rate", []string{"1000000000"}}, {"underlay_mtu", []string{"1500"}}}}},
		{"kube: nested and named", map[string]any{
			"cni":   map[string]any{"name": "flannel", "datapath": "vxlan"},
			"nodes": []kubeNode{{"node-1", "6.1"}, {"node-2", "6.2"}},
			"image": "", "addresses": []string{"a", "b"}, "server_image": nil},
			&detailsTable{Columns: []string{"value"}, Rows: []detailRow{
				{"addresses", []string{"a, b"}}, {"cni.datapath", []string{"vxlan"}}, {"cni.name", []string{"flannel"}},
				{"image", []string{""}}, {"nodes[node-1].kernel", []string{"6.1"}}, {"nodes[node-1].name", []string{"node-1"}},
				{"nodes[node-2].kernel", []string{"6.2"}}, {"nodes[node-2].name", []string{"node-2"}}, {"server_image", []string{"-"}}}}},
		{"one column per variant", []map[string]any{
			{"variant": "datapath=routed", "name": "lab-a", "details": map[string]any{"datapath": "routed", "pod_mtu": 1500}},
			{"variant": "datapath=vxlan", "name": "lab-b", "details": map[string]any{"datapath": "vxlan", "vni": 1}},
			{"variant": "datapath=geneve", "name": "lab-c"}},
			&detailsTable{Columns: []string{"datapath=routed", "datapath=vxlan", "datapath=geneve"}, Rows: []detailRow{
				{"name", []string{"lab-a", "lab-b", "lab-c"}}, {"datapath", []string{"routed", "vxlan", ""}},
				{"pod_mtu", []string{"1500", "", ""}}, {"vni", []string{"", "1", ""}}}}},
		{"a list that is not of variants", []any{map[string]any{"a": 1}, map[string]any{"a": 2}},
			&detailsTable{Columns: []string{"value"}, Rows: []detailRow{{"[0].a", []string{"1"}}, {"[1].a", []string{"2"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newDetailsTable(tt.details); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("newDetailsTable =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}
