package cluster

import (
	"os"
	"strings"
	"testing"
)

// TestProxyModeSupported: iptables and nftables run; ipvs is refused with
// the reason (this kernel has no IPVS), and so is a mode kube-proxy lacks.
func TestProxyModeSupported(t *testing.T) {
	ipvs := "needs the kernel's IPVS (module ip_vs), which this kernel lacks"
	if _, err := os.Stat(ipvsProc); err == nil {
		ipvs = "the harness runs only [iptables nftables]"
	}
	for mode, want := range map[ProxyMode]string{
		ProxyIPTables: "",
		ProxyNFTables: "",
		ProxyIPVS:     ipvs,
		"userspace":   `kube-proxy mode "userspace": use one of [iptables nftables]`,
	} {
		err := mode.Supported()
		if (err == nil) != (want == "") || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: %v, want ~%q", mode, err, want)
		}
		if err := (Config{ProxyMode: mode}).WithDefaults().Validate(); (err == nil) != (want == "") {
			t.Errorf("Validate with %s: %v", mode, err)
		}
	}
	if got := (Config{}).WithDefaults().ProxyMode; got != ProxyIPTables {
		t.Errorf("default mode %q, want iptables", got)
	}
	if conf := kubeProxyConfig(paths("/run/x"), 1, Config{ProxyMode: ProxyNFTables}.WithDefaults()); !strings.Contains(conf, "\nmode: nftables\n") {
		t.Errorf("kube-proxy's configuration does not say its mode:\n%s", conf)
	}
}
