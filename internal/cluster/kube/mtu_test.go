package kube

import (
	"context"
	"strings"
	"testing"
)

// TestCNIName: the MTU warning names the CNI whose setting to change
// (the rule itself is cluster.MTUWarning's, tested there).
func TestCNIName(t *testing.T) {
	for cni, want := range map[CNI]string{
		{Name: "flannel", Datapath: "vxlan", HeaderTax: 50}: "flannel's",
		{Name: "unknown", Datapath: "unknown"}:              "the CNI's",
		{}:                                                  "the CNI's",
	} {
		if got := cniName(cni); got != want {
			t.Errorf("cniName(%+v) = %q, want %q", cni, got, want)
		}
	}
}

func TestInfoWarnsMTUMismatch(t *testing.T) {
	f := newFake(t, append(twoNodes(), ciliumConfig(map[string]string{"routing-mode": "tunnel", "tunnel-protocol": "geneve"}))...)
	f.exec.mtu = 1500 // pods as large as the nodes, under a Geneve tunnel
	c := newCluster(t, f)
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d := info
	if len(d.Warnings) != 2 || !strings.Contains(d.Warnings[0], "MTU mismatch on node-1") || !strings.Contains(d.Warnings[1], "on node-2") ||
		!strings.Contains(d.Warnings[0], "set cilium's MTU to 1450 (node MTU 1500 − GENEVE 50)") {
		t.Errorf("warnings %q", d.Warnings)
	}

	f2 := newFake(t, append(twoNodes(), ciliumConfig(map[string]string{}))...)
	c2 := newCluster(t, f2)
	if info, err := c2.Info(context.Background()); err != nil || len(info.Warnings) != 0 {
		t.Errorf("1450 under VXLAN: %q, %v", info.Warnings, err)
	}
}
