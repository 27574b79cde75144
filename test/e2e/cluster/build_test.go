package cluster

import (
	"strings"
	"testing"
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
