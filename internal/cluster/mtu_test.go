package cluster

import (
	"strings"
	"testing"
)

func TestMTUWarning(t *testing.T) {
	for _, tc := range []struct {
		pod, node int
		datapath  Datapath
		tax       int
		setting   string
		want      []string // substrings; nil = no warning
	}{
		{1450, 1500, "vxlan", 50, "flannel's MTU", nil},
		{1400, 1500, "vxlan", 50, "flannel's MTU", nil},
		{1500, 1500, "vxlan", 50, "flannel's MTU", []string{"MTU mismatch on node-1", "pod MTU 1500 > 1450", "blackhole", "set flannel's MTU to 1450 (node MTU 1500 − VXLAN 50)"}},
		{1300, 1500, "vxlan", 50, "flannel's MTU", []string{"pod MTU 1300 is 150 below 1450", "small packets", "set flannel's MTU to 1450"}},
		{1349, 1500, "vxlan", 50, "--pod-mtu", []string{"pod MTU 1349 is 101 below 1450", "set --pod-mtu to 1450"}},
		{1350, 1500, "vxlan", 50, "--pod-mtu", nil}, // exactly MTUSlack below
		{1480, 1500, "ipip", 20, "calico's MTU", nil},
		{1500, 1500, "ipip", 20, "calico's MTU", []string{"set calico's MTU to 1480 (node MTU 1500 − IPIP 20)"}},
		{9001, 9001, "routed", 0, "calico's MTU", nil},
		{1500, 9001, "routed", 0, "calico's MTU", []string{"pod MTU 1500 is 7501 below 9001", "set calico's MTU to 9001 (node MTU 9001, routed: no encapsulation)"}},
		{1500, 1500, "unknown", 0, "weave's MTU", nil},
		{1500, 1500, "", 0, "the CNI's MTU", nil},
		{0, 1500, "vxlan", 50, "flannel's MTU", nil},
		{1500, 0, "vxlan", 50, "flannel's MTU", nil},
	} {
		got := MTUWarning("node-1", tc.pod, tc.node, tc.datapath, tc.tax, tc.setting)
		if (got == "") != (tc.want == nil) {
			t.Errorf("pod %d node %d %s %d: %q", tc.pod, tc.node, tc.datapath, tc.tax, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("pod %d node %d %s: %q lacks %q", tc.pod, tc.node, tc.datapath, got, w)
			}
		}
	}
}
