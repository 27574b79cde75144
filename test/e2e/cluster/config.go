package cluster

import (
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"

	"github.com/cnibench/cnibench/internal/cluster/lab"
)

// CNI is how pods are wired and how pod traffic crosses nodes.
type CNI string

const (
	// Bridge is the CNI bridge plugin with host-local IPAM on each node and
	// static routes to the other nodes' pod CIDRs (host-gw style).
	Bridge CNI = "bridge"
	// FlannelVXLAN is flannel with its vxlan backend.
	FlannelVXLAN CNI = "flannel-vxlan"
	// FlannelHostGW is flannel with its host-gw backend.
	FlannelHostGW CNI = "flannel-host-gw"
)

// CNIs lists the modes in documentation order.
var CNIs = []CNI{Bridge, FlannelVXLAN, FlannelHostGW}

// Flannel reports whether the mode runs flanneld.
func (c CNI) Flannel() bool { return c == FlannelVXLAN || c == FlannelHostGW }

// IPFamily says which address families the cluster has.
type IPFamily string

const (
	// DualStack gives nodes, pods and Services an IPv4 and an IPv6
	// address each (IPv4 first, as Kubernetes lists them).
	DualStack IPFamily = "dual"
	// IPv4Only is the single-stack IPv4 cluster.
	IPv4Only IPFamily = "4"
)

// IPFamilies lists the families Up builds.
var IPFamilies = []IPFamily{DualStack, IPv4Only}

// Dual reports whether the cluster has IPv6 too.
func (f IPFamily) Dual() bool { return f == DualStack }

// Defaults of the harness.
const (
	DefaultVersion  = "v1.34.4"
	DefaultFlannel  = "v0.27.4"
	DefaultRunDir   = "/run/cnibench-e2e"
	DefaultCacheDir = "/var/cache/cnibench-e2e"
	DefaultNodes    = 2
	MaxNodes        = 8
)

// The addressing plan, from the lab's: nodes are 198.18.0.i on the switch,
// the control plane (in the namespace the harness runs in) is 198.18.0.254
// on a veth into the same switch, pods of node i are 198.19.i.0/24 in the
// bridge mode (flannel allocates /24s out of 198.19.0.0/16), Services get
// ClusterIPs from 198.18.128.0/20.
var (
	ControlPlaneIP = netip.MustParseAddr("198.18.0.254")
	SwitchNet      = lab.Underlay4 // 198.18.0.0/24
	PodNet         = lab.PodSuper4 // 198.19.0.0/16
	ServiceNet     = lab.ServiceCIDR
	// KubernetesServiceIP is the first address of ServiceNet: the
	// apiserver's own ClusterIP (kubernetes.default).
	KubernetesServiceIP = netip.MustParseAddr("198.18.128.1")
	// Guarded is the only range our traffic may go to (besides loopback).
	Guarded = netip.MustParsePrefix("198.18.0.0/15")
)

// The IPv6 plan of a dual-stack cluster: ULA prefixes next to the lab's
// (fd00:198:18::/48 and fd00:198:19::/48) and distinct from them, so a lab
// and the cluster never share an address. Node i is fd00:198:20::i, the
// external host fd00:198:20::200, pods of node i fd00:198:21:i::/64,
// Services fd00:198:22::/112. The control plane stays IPv4 only.
var (
	SwitchNet6  = netip.MustParsePrefix("fd00:198:20::/64")
	PodNet6     = netip.MustParsePrefix("fd00:198:21::/48")
	ServiceNet6 = netip.MustParsePrefix("fd00:198:22::/112")
	// Guarded6 (fd00:198:20::/48 to fd00:198:23::/48) is the only IPv6
	// range our traffic may go to, besides loopback and link-local.
	Guarded6 = netip.MustParsePrefix("fd00:198:20::/46")
)

// NodePodCIDR6Bits is the size of each node's IPv6 pod CIDR.
const NodePodCIDR6Bits = 64

// Ports the control plane listens on, at ControlPlaneIP.
const (
	APIServerPort  = 6443
	EtcdClientPort = 2379
	EtcdPeerPort   = 2380
)

// Names of what the harness creates in the host. They do not start with
// "cnibench-", so the lab's own cleanup never takes them for a lab.
const (
	namePrefix   = "cbe2e"
	switchNSName = namePrefix + "-switch"
	bridgeName   = namePrefix + "br"
	hostIfName   = namePrefix + "host" // the control plane's veth in the host namespace
	hostPortName = namePrefix + "s0"   // its switch side
	nodeIfName   = "eth0"
	guardTable   = "cnibench-e2e-guard"
	cgroupName   = "cnibench-e2e"
	cniNetwork   = "cnibench-e2e"
	cniBridge    = "cni0"
)

// NodeName is node i's (1-based) Kubernetes name.
func NodeName(i int) string { return lab.NodeName(i) }

// NodeIP is node i's address on the switch.
func NodeIP(i int) netip.Addr { return lab.NodeIP(i) }

// NodePodCIDR is node i's pod CIDR in the bridge mode.
func NodePodCIDR(i int) netip.Prefix { return lab.PodCIDR(i) }

// NodeIP6 is node i's IPv6 address on the switch: fd00:198:20::i, the
// digits of i echoing NodeIP's last byte.
func NodeIP6(i int) netip.Addr { return v6(SwitchNet6, 0, uint16(hexDigits(i))) }

// NodePodCIDR6 is node i's IPv6 pod CIDR in the bridge mode:
// fd00:198:21:i::/64.
func NodePodCIDR6(i int) netip.Prefix {
	return netip.PrefixFrom(v6(PodNet6, uint16(hexDigits(i)), 0), NodePodCIDR6Bits)
}

// v6 is prefix p's address with group 4 (the fourth 16 bits) and group 8
// set.
func v6(p netip.Prefix, g4, g8 uint16) netip.Addr {
	b := p.Addr().As16()
	b[6], b[7] = byte(g4>>8), byte(g4)
	b[14], b[15] = byte(g8>>8), byte(g8)
	return netip.AddrFrom16(b)
}

// hexDigits reads i's decimal digits as hex, so node 12 is ...::12.
func hexDigits(i int) int {
	h := 0
	for m := 1; i > 0; i, m = i/10, m*16 {
		h += (i % 10) * m
	}
	return h
}

func nodeNSName(i int) string { return fmt.Sprintf("%s-node-%d", namePrefix, i) }
func switchPort(i int) string { return fmt.Sprintf("%ss%d", namePrefix, i) }
func nodeCgroup(i int) string { return "/" + cgroupName + "/" + NodeName(i) }

// Config says what cluster Up builds.
type Config struct {
	Version  string // Kubernetes version, default DefaultVersion
	Flannel  string // flannel version, default DefaultFlannel
	Nodes    int    // default DefaultNodes
	CNI      CNI    // default Bridge
	RunDir   string // state, sockets, logs, data; default DefaultRunDir
	CacheDir string // built binaries, keyed by version; default DefaultCacheDir
	// ModuleDir is this repository's root (to build the test agent); found
	// from the working directory when empty.
	ModuleDir string
	Logger    *slog.Logger `json:"-"`

	// ProxyMode is kube-proxy's mode, default ProxyIPTables; SetProxyMode
	// switches a running cluster's.
	ProxyMode ProxyMode

	// IPFamily is DualStack (the default) or IPv4Only.
	IPFamily IPFamily
	// Policy is the NetworkPolicy enforcer, default PolicyNone; SetPolicy
	// switches a running cluster's.
	Policy Policy `json:",omitempty"`
}

// WithDefaults fills the zero fields.
func (c Config) WithDefaults() Config {
	if c.Version == "" {
		c.Version = DefaultVersion
	}
	if c.Flannel == "" {
		c.Flannel = DefaultFlannel
	}
	if c.Nodes == 0 {
		c.Nodes = DefaultNodes
	}
	if c.CNI == "" {
		c.CNI = Bridge
	}
	if c.ProxyMode == "" {
		c.ProxyMode = ProxyIPTables
	}
	if c.IPFamily == "" {
		c.IPFamily = DualStack
	}
	if c.Policy == "" {
		c.Policy = PolicyNone
	}
	if c.RunDir == "" {
		c.RunDir = DefaultRunDir
	}
	if c.CacheDir == "" {
		c.CacheDir = DefaultCacheDir
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate explains the first thing wrong with a defaulted config.
func (c Config) Validate() error {
	if c.Nodes < 1 || c.Nodes > MaxNodes {
		return fmt.Errorf("nodes %d: use 1..%d", c.Nodes, MaxNodes)
	}
	ok := false
	for _, m := range CNIs {
		ok = ok || m == c.CNI
	}
	if !ok {
		return fmt.Errorf("CNI %q: use one of %v", c.CNI, CNIs)
	}
	if c.IPFamily != DualStack && c.IPFamily != IPv4Only {
		return fmt.Errorf("IP family %q: use %q (IPv4 and IPv6) or %q (IPv4 only)", c.IPFamily, DualStack, IPv4Only)
	}
	if err := c.ProxyMode.Supported(); err != nil {
		return err
	}
	if err := c.Policy.Check(); err != nil {
		return err
	}
	if !filepath.IsAbs(c.RunDir) || !filepath.IsAbs(c.CacheDir) {
		return fmt.Errorf("run and cache directories must be absolute paths")
	}
	return nil
}

// families joins the IPv4 value with the IPv6 one when the cluster is
// dual-stack: the comma-separated form of Kubernetes' dual-stack flags.
func (c Config) families(v4, v6 fmt.Stringer) string {
	if c.IPFamily.Dual() {
		return v4.String() + "," + v6.String()
	}
	return v4.String()
}

// paths of one run directory.
type paths string

func (p paths) join(elem ...string) string {
	return filepath.Join(append([]string{string(p)}, elem...)...)
}
func (p paths) state() string              { return p.join("state.json") }
func (p paths) pki() string                { return p.join("pki") }
func (p paths) logs() string               { return p.join("logs") }
func (p paths) kubeconfig(n string) string { return p.join("kubeconfig", n+".kubeconfig") }

// Admin is the admin kubeconfig of the cluster in run directory dir.
func Admin(dir string) string     { return paths(dir).kubeconfig("admin") }
func (p paths) node(i int) string { return p.join(NodeName(i)) }
func (p paths) containerdSock(i int) string {
	return filepath.Join(p.node(i), "containerd", "containerd.sock")
}
