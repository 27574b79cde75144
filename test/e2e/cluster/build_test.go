package cluster

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster/lab"
)

const kubernetesGoModSample = `module k8s.io/kubernetes

go 1.24.0

godebug default=go1.24

require (
	k8s.io/api v0.0.0
	k8s.io/client-go v0.0.0
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/client-go => ./staging/src/k8s.io/client-go
	k8s.io/kubelet => ./staging/src/k8s.io/kubelet
)
`

func TestScratchGoMod(t *testing.T) {
	got, err := ScratchGoMod([]byte(kubernetesGoModSample), "v1.34.4")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"go 1.24.0\n",
		"godebug default=go1.24\n",
		"require k8s.io/kubernetes v1.34.4\n",
		"\tk8s.io/api => k8s.io/api v0.34.4\n",
		"\tk8s.io/client-go => k8s.io/client-go v0.34.4\n",
		"\tk8s.io/kubelet => k8s.io/kubelet v0.34.4\n",
		"\tk8s.io/kubernetes/cmd/kubelet\n",
		"\tk8s.io/kubernetes/cmd/kube-apiserver\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("scratch go.mod lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "./staging") {
		t.Errorf("scratch go.mod still points at staging:\n%s", got)
	}
	if _, err := ScratchGoMod([]byte("module x\n"), "v1.34.4"); err == nil {
		t.Error("a go.mod without staging replaces must be refused")
	}
	if _, err := StagingVersion("1.34.4"); err == nil {
		t.Error("a version without v1. must be refused")
	}
}

func TestVersionLDFlags(t *testing.T) {
	fl := versionLDFlags("v1.34.4")
	for _, want := range []string{
		"k8s.io/component-base/version.gitVersion=v1.34.4",
		"k8s.io/component-base/version.gitMinor=34",
		"k8s.io/client-go/pkg/version.gitMajor=1",
	} {
		if !strings.Contains(fl, want) {
			t.Errorf("ldflags lack %s: %s", want, fl)
		}
	}
}

func TestAddressesInsideTheBenchmarkingRange(t *testing.T) {
	for i := 1; i <= MaxNodes; i++ {
		if !Guarded.Contains(NodeIP(i)) || !Guarded.Contains(NodePodCIDR(i).Addr()) {
			t.Errorf("node %d: %s or %s outside %s", i, NodeIP(i), NodePodCIDR(i), Guarded)
		}
	}
	if !Guarded.Contains(ControlPlaneIP) || !ServiceNet.Contains(KubernetesServiceIP) {
		t.Errorf("%s or %s outside the plan", ControlPlaneIP, KubernetesServiceIP)
	}
	if !Guarded.Contains(PodNet.Addr()) || !Guarded.Contains(ServiceNet.Addr()) || PodNet.Overlaps(ServiceNet) {
		t.Errorf("pod %s / service %s ranges wrong", PodNet, ServiceNet)
	}
	// IPv6: inside Guarded6, distinct from each other and from the lab's.
	for i := 1; i <= MaxNodes; i++ {
		ip, pods := NodeIP6(i), NodePodCIDR6(i)
		if !SwitchNet6.Contains(ip) || !PodNet6.Contains(pods.Addr()) || pods.Bits() != NodePodCIDR6Bits {
			t.Errorf("node %d: %s or %s outside %s / %s", i, ip, pods, SwitchNet6, PodNet6)
		}
	}
	if got := NodeIP6(12).String(); got != "fd00:198:20::12" {
		t.Errorf("node 12's IPv6 address %s, want fd00:198:20::12 (echoing 198.18.0.12)", got)
	}
	if got := NodePodCIDR6(3).String(); got != "fd00:198:21:3::/64" {
		t.Errorf("node 3's IPv6 pod CIDR %s, want fd00:198:21:3::/64", got)
	}
	labs := []netip.Prefix{lab.Underlay6, lab.PodSuper6, lab.Service6, netip.MustParsePrefix("fd00:198:18::/48"), netip.MustParsePrefix("fd00:198:19::/48")}
	ranges := []netip.Prefix{SwitchNet6, PodNet6, ServiceNet6}
	for i, p := range ranges {
		if !Guarded6.Contains(p.Addr()) || p.Bits() < Guarded6.Bits() {
			t.Errorf("%s outside %s", p, Guarded6)
		}
		for _, q := range ranges[i+1:] {
			if p.Overlaps(q) {
				t.Errorf("%s overlaps %s", p, q)
			}
		}
		for _, l := range labs {
			if p.Overlaps(l) {
				t.Errorf("%s overlaps the lab's %s", p, l)
			}
		}
	}
	if !SwitchNet6.Contains(ExternalIP6) {
		t.Errorf("the external host's %s is not on the switch %s", ExternalIP6, SwitchNet6)
	}
}

func TestConfigsNameTheirNode(t *testing.T) {
	p := paths("/run/x")
	k := kubeletConfig(p, 2)
	for _, want := range []string{"cgroupDriver: cgroupfs", "cgroupRoot: /cnibench-e2e/node-2", "address: 198.18.0.2", "unix:///run/x/node-2/containerd/containerd.sock"} {
		if !strings.Contains(k, want) {
			t.Errorf("kubelet config lacks %q:\n%s", want, k)
		}
	}
	c := containerdConfig("/run/x/node-1/containerd", "/run/x/node-1/containerd/containerd.sock", "/run/x/bin/cni", "/run/x/node-1/cni/net.d")
	for _, want := range []string{"restrict_oom_score_adj = true", "netns_mounts_under_state_dir = true", `sandbox_image = "` + PauseImage + `"`} {
		if !strings.Contains(c, want) {
			t.Errorf("containerd config lacks %q:\n%s", want, c)
		}
	}
}

func TestDualStackConfigs(t *testing.T) {
	p := paths("/run/x")
	for _, tc := range []struct {
		family  IPFamily
		proxy   []string // in kube-proxy's configuration
		netconf []string // in flannel's net-conf.json
	}{
		{DualStack,
			[]string{"clusterCIDR: 198.19.0.0/16,fd00:198:21::/48\n", `nodePortAddresses: ["198.18.0.0/24", "fd00:198:20::/64"]`},
			[]string{`"EnableIPv6": true`, `"IPv6Network": "fd00:198:21::/48"`}},
		{IPv4Only,
			[]string{"clusterCIDR: 198.19.0.0/16\n", `nodePortAddresses: ["198.18.0.0/24"]`},
			[]string{`"Network": "198.19.0.0/16"`}},
	} {
		cfg := Config{IPFamily: tc.family}.WithDefaults()
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		conf := kubeProxyConfig(p, 1, cfg)
		for _, want := range tc.proxy {
			if !strings.Contains(conf, want) {
				t.Errorf("%s: kube-proxy's configuration lacks %q:\n%s", tc.family, want, conf)
			}
		}
		b, err := flannelNetConf("vxlan", tc.family.Dual())
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range tc.netconf {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s: flannel's net-conf.json lacks %q:\n%s", tc.family, want, b)
			}
		}
		if !tc.family.Dual() && strings.Contains(string(b), "IPv6") {
			t.Errorf("%s: flannel's net-conf.json has IPv6:\n%s", tc.family, b)
		}
	}
	b, err := bridgeCNIConfig([]netip.Prefix{NodePodCIDR(2), NodePodCIDR6(2)}, 1500, "/x")
	if err != nil {
		t.Fatal(err)
	}
	if want := `"subnet": "fd00:198:21:2::/64"`; !strings.Contains(string(b), want) {
		t.Errorf("the bridge CNI configuration lacks %q:\n%s", want, b)
	}
	if err := (Config{IPFamily: "6"}).WithDefaults().Validate(); err == nil || !strings.Contains(err.Error(), `"dual"`) {
		t.Errorf("IP family 6: %v, want a refusal naming dual and 4", err)
	}
}
