package runrecord

// ClusterInfo is what a run records about the cluster it measured; the same
// JSON as the backends' cluster.Info, mapped by the run.
type ClusterInfo struct {
	Kind    string   `json:"kind"` // "lab" or "kube"
	Name    string   `json:"name"`
	Nodes   []string `json:"nodes"`
	Kernel  string   `json:"kernel,omitempty"`
	CPUs    int      `json:"cpus,omitempty"`
	Details any      `json:"details,omitempty"` // backend-specific, for machines
	// Facts are what the backend says matters for reading the numbers, one
	// short line each, for people.
	Facts []string `json:"facts,omitempty"`
	// Warnings are what may explain the numbers (an MTU mismatch, …), one
	// sentence each that names the fix.
	Warnings []string `json:"warnings,omitempty"`
	// ServiceProxy is who implements Services, e.g. "kube-proxy iptables".
	ServiceProxy string `json:"service_proxy,omitempty"`
}

// TargetKind says how a client reached its server: "direct" (the server's
// own address), "clusterip" or "nodeport" (a Service).
type TargetKind string

const (
	DirectTarget    TargetKind = "direct"
	ClusterIPTarget TargetKind = "clusterip"
	NodePortTarget  TargetKind = "nodeport"
)

// Path is the network between a scenario's endpoints as the cluster built
// or detected it (cluster.Path), what its numbers are compared against.
type Path struct {
	// Datapath is cluster.Datapath's name: "host", "bridge", "routed",
	// "vxlan", "geneve", "ipip", "wireguard" or "unknown".
	Datapath     string `json:"datapath"`
	Encapsulated bool   `json:"encapsulated"`
	HeaderTax    int    `json:"header_tax"`          // bytes of encapsulation per packet on the underlay
	MTU          int    `json:"mtu"`                 // the sender's interface MTU on this path
	UnderlayMTU  int    `json:"underlay_mtu"`        // 0 when the path stays inside one node
	LinkRate     uint64 `json:"link_rate,omitempty"` // bits/s of the shaped uplink, 0 = unshaped
	// IPFamily is the family (4 or 6) of the address the tests connected
	// to; UnderlayFamily that of the packets on the underlay between the
	// nodes: the encapsulation's outer header's (header_tax counts it),
	// else the test's (0 = not recorded, or the path stays inside one node).
	IPFamily       int `json:"ip_family,omitempty"`
	UnderlayFamily int `json:"underlay_family,omitempty"`
}
