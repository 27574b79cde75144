package cluster

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"path/filepath"
)

// containerdConfig is node i's containerd: its own root, state, socket and
// CNI directories; CRI's restrict_oom_score_adj because the bounding set
// lacks CAP_SYS_RESOURCE (runc cannot give the sandbox a negative
// oom_score_adj: "can't get final child's PID from pipe: EOF"); network
// namespaces mounted under its state directory, not /run/netns.
func containerdConfig(dir, sock, cniBinDir, cniConfDir string) string {
	return fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = %q

[ttrpc]
  address = %q

[plugins."io.containerd.grpc.v1.cri"]
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  sandbox_image = %q
  enable_selinux = false
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = %q
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %q
    conf_dir = %q
    max_conf_num = 1
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), sock, sock+".ttrpc", PauseImage,
		filepath.Join(dir, "runc"), cniBinDir, cniConfDir)
}

// kubeletConfig is node i's KubeletConfiguration: cgroupfs (PID 1 is not
// systemd), its own cgroup root, plugin and log directories under the run
// directory, no read-only port, eviction thresholds that a busy disk does
// not trip.
func kubeletConfig(p paths, i int) string {
	n := p.node(i)
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
cgroupRoot: %s
cgroupsPerQOS: true
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://%s
address: %s
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: %s
authorization:
  mode: Webhook
staticPodPath: ""
volumePluginDir: %s
podLogsDir: %s
resolvConf: %s
clusterDomain: cluster.local
serializeImagePulls: false
evictionHard:
  memory.available: 50Mi
  nodefs.available: 1%%
  nodefs.inodesFree: 1%%
  imagefs.available: 1%%
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
rotateCertificates: false
serverTLSBootstrap: false
shutdownGracePeriod: 0s
nodeStatusUpdateFrequency: 5s
`, nodeCgroup(i), p.containerdSock(i), NodeIP(i), filepath.Join(p.pki(), "ca.crt"),
		filepath.Join(n, "kubelet", "volume-plugins"), filepath.Join(n, "kubelet", "pod-logs"),
		filepath.Join(p.string(), "resolv.conf"))
}

func (p paths) string() string { return string(p) }

// kubeProxyConfig is node i's kube-proxy in cfg's mode inside the node's
// namespace, for both families when dual; it leaves the host-wide
// conntrack sysctls alone.
func kubeProxyConfig(p paths, i int, cfg Config) string {
	nodePorts := fmt.Sprintf("%q", SwitchNet)
	if cfg.IPFamily.Dual() {
		nodePorts += fmt.Sprintf(", %q", SwitchNet6)
	}
	return fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: %s
hostnameOverride: %s
mode: %s
clusterCIDR: %s
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
nodePortAddresses: [%s]
iptables:
  localhostNodePorts: false
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`, p.kubeconfig("kube-proxy"), NodeName(i), cfg.ProxyMode, cfg.families(PodNet, PodNet6), nodePorts)
}

// bridgeCNIConfig is the bridge + host-local network of one node over
// subnets (one per family: a pod gets an address from each); routes to the
// other nodes' subnets are the harness's (bridge mode) or flannel's job.
func bridgeCNIConfig(subnets []netip.Prefix, mtu int, ipamDir string) ([]byte, error) {
	var ranges [][]map[string]string
	for _, s := range subnets {
		ranges = append(ranges, []map[string]string{{"subnet": s.String()}})
	}
	conf := map[string]any{
		"cniVersion": "0.4.0",
		"name":       cniNetwork,
		"plugins": []any{
			map[string]any{
				"type":             "bridge",
				"bridge":           cniBridge,
				"isGateway":        true,
				"isDefaultGateway": true,
				"ipMasq":           false,
				"hairpinMode":      true,
				"mtu":              mtu,
				"ipam": map[string]any{
					"type":    "host-local",
					"ranges":  ranges,
					"dataDir": ipamDir,
				},
			},
		},
	}
	return json.MarshalIndent(conf, "", "  ")
}

// flannelCNIConfig is kube-flannel's CNI configuration (type flannel,
// delegating to bridge), with the subnet file and data directories of one
// node of ours.
func flannelCNIConfig(subnetFile, dataDir, ipamDir string) ([]byte, error) {
	conf := map[string]any{
		"cniVersion": "0.4.0",
		"name":       cniNetwork,
		"plugins": []any{
			map[string]any{
				"type":        "flannel",
				"subnetFile":  subnetFile,
				"dataDir":     dataDir,
				"ipamDataDir": ipamDir,
				"delegate":    map[string]any{"hairpinMode": true, "isDefaultGateway": true},
			},
		},
	}
	return json.MarshalIndent(conf, "", "  ")
}

// flannelNetConf is flannel's net-conf.json for a backend type, with
// IPv6 (EnableIPv6, IPv6Network) when dual.
func flannelNetConf(backend string, dual bool) ([]byte, error) {
	conf := map[string]any{
		"Network": PodNet.String(),
		"Backend": map[string]any{"Type": backend},
	}
	if dual {
		conf["EnableIPv6"] = true
		conf["IPv6Network"] = PodNet6.String()
	}
	return json.MarshalIndent(conf, "", "  ")
}
