package kube

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestMTUWarning(t *testing.T) {
	vxlan := CNI{Name: "flannel", Datapath: "vxlan", HeaderTax: 50}
	routed := CNI{Name: "calico", Datapath: "routed"}
	for _, tc := range []struct {
		pod, node int
		cni       CNI
		want      []string // substrings; nil = no warning
	}{
		{1450, 1500, vxlan, nil},
		{1400, 1500, vxlan, nil},
		{1500, 1500, vxlan, []string{"pod MTU 1500 > 1450", "blackhole", "set flannel's MTU to 1450 (node MTU 1500 − VXLAN 50)"}},
		{1300, 1500, vxlan, []string{"pod MTU 1300 is 150 below 1450", "set flannel's MTU to 1450"}},
		{1480, 1500, CNI{Name: "calico", Datapath: "ipip", HeaderTax: 20}, nil},
		{1500, 1500, CNI{Name: "calico", Datapath: "ipip", HeaderTax: 20}, []string{"set calico's MTU to 1480 (node MTU 1500 − IPIP 20)"}},
		{9001, 9001, routed, nil},
		{1500, 9001, routed, []string{"pod MTU 1500 is 7501 below 9001", "set calico's MTU to 9001 (node MTU 9001, routed: no encapsulation)"}},
		{1500, 1500, CNI{Name: "weave", Datapath: "unknown"}, nil},
		{0, 1500, vxlan, nil},
		{1500, 0, vxlan, nil},
	} {
		got := mtuWarning("node-1", tc.pod, tc.node, tc.cni)
		if (got == "") != (tc.want == nil) {
			t.Errorf("pod %d node %d %+v: %q", tc.pod, tc.node, tc.cni, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("pod %d node %d: %q lacks %q", tc.pod, tc.node, got, w)
			}
		}
	}
}

func TestInfoWarnsMTUMismatch(t *testing.T) {
	f := newFake(t, append(twoNodes(), ciliumConfig(map[string]string{"routing-mode": "tunnel", "tunnel-protocol": "geneve"}))...)
	f.exec.mtu = 1500 // pods as large as the nodes, under a Geneve tunnel
	var log bytes.Buffer
	cfg := f.config()
	cfg.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d := info.Details.(Details)
	if len(d.Warnings) != 2 || !strings.Contains(d.Warnings[0], "MTU mismatch on node-1") || !strings.Contains(d.Warnings[1], "on node-2") ||
		!strings.Contains(d.Warnings[0], "set cilium's MTU to 1450 (node MTU 1500 − GENEVE 50)") {
		t.Errorf("warnings %q", d.Warnings)
	}
	if !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), "MTU mismatch on node-1") {
		t.Errorf("log %q", log.String())
	}

	f2 := newFake(t, append(twoNodes(), ciliumConfig(map[string]string{}))...)
	c2 := newCluster(t, f2)
	if info, err := c2.Info(context.Background()); err != nil || len(info.Details.(Details).Warnings) != 0 {
		t.Errorf("1450 under VXLAN: %+v, %v", info.Details, err)
	}
}
