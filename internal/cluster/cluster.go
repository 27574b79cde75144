// Package cluster is the one interface behind which cnibench finds its
// endpoints and runs the engine: the emulated lab and a real Kubernetes
// cluster both implement it, so every scenario runs unchanged on either.
package cluster

import (
	"context"
	"net/netip"

	"github.com/cnibench/cnibench/internal/engine"
)

// EndpointKind says whether an endpoint is a node's host network, a pod,
// or a host outside the cluster.
type EndpointKind string

const (
	NodeEndpoint EndpointKind = "node"
	PodEndpoint  EndpointKind = "pod"
	// ExternalEndpoint is a server outside the cluster: no node, no pod
	// routes, so pods reach it only through their node's SNAT.
	ExternalEndpoint EndpointKind = "external"
)

// ExternalName is the name of a cluster's external endpoint.
const ExternalName = "external"

// Endpoint is a place where a server or client can run.
type Endpoint struct {
	Name  string       `json:"name"` // e.g. "node-1" or "pod-1a"
	Node  string       `json:"node"` // the node it lives on (itself for node endpoints, "" for external ones)
	Kind  EndpointKind `json:"kind"`
	Addrs []netip.Addr `json:"addrs"` // IPv4 first, then IPv6 when dual-stack
}

// TargetKind says how a client reaches a server.
type TargetKind string

const (
	DirectTarget    TargetKind = "direct"    // the server endpoint's own address
	ClusterIPTarget TargetKind = "clusterip" // a Service's virtual IP
	NodePortTarget  TargetKind = "nodeport"  // a node address and the Service's node port
)

// Target is an address a client connects to, and the endpoint that serves it.
type Target struct {
	Kind    TargetKind     `json:"kind"`
	Addr    netip.AddrPort `json:"addr"`
	Backend Endpoint       `json:"backend"`
}

// Path describes the network between two endpoints as the cluster built or
// detected it: what the scenario's numbers are compared against.
type Path struct {
	Datapath     Datapath `json:"datapath"`
	Encapsulated bool     `json:"encapsulated"`
	HeaderTax    int      `json:"header_tax"`          // bytes of encapsulation per packet
	MTU          int      `json:"mtu"`                 // the sender's interface MTU on this path
	UnderlayMTU  int      `json:"underlay_mtu"`        // 0 when the path stays inside one node
	LinkRate     uint64   `json:"link_rate,omitempty"` // bits/s of the shaped uplink, 0 = unshaped
	// UnderlayFamily is the family of the packets on the underlay between
	// the nodes: the outer header's when encapsulated (HeaderTax counts
	// it), else the test's own (0 = unknown, or the path stays inside one
	// node).
	UnderlayFamily Family `json:"underlay_family,omitempty"`
}

// Info is what a run records about the cluster.
type Info struct {
	Kind    string   `json:"kind"` // "lab" or "kube"
	Name    string   `json:"name"`
	Nodes   []string `json:"nodes"`
	Kernel  string   `json:"kernel,omitempty"`
	CPUs    int      `json:"cpus,omitempty"`
	Details any      `json:"details,omitempty"` // backend-specific: the lab's Config, the CNI detected
	// Facts are what the backend says matters about itself for reading
	// the numbers (its version, its CNI and datapath, each node's OS,
	// kernel, addresses and MTU, …), one short line each. Reports print
	// them as they are, without knowing the backend: Details is for
	// machines, Facts for people.
	Facts []string `json:"facts,omitempty"`
	// Warnings are what the run should know about the cluster that may
	// explain its numbers (an MTU mismatch between pods and nodes, …),
	// one sentence each that names the fix.
	Warnings []string `json:"warnings,omitempty"`
	// ServiceProxy is who implements Services, for machines: "kube-proxy
	// iptables", "kube-proxy nftables", "cilium", … ("" = unknown). A
	// Facts line says it for people.
	ServiceProxy string `json:"service_proxy,omitempty"`
}

// Server is a running engine server on an endpoint.
type Server interface {
	// Endpoint is where the server runs, as the cluster records it.
	Endpoint() Endpoint
	// Target is the direct address of the server: Kind DirectTarget, an
	// address of the endpoint, and the endpoint as Backend.
	Target() Target
	Stop(ctx context.Context) error
}

// Cluster is a place to measure. Implementations must be safe for one
// caller at a time, except that RunLatency may run while one RunClient
// runs between the same endpoints (latency under load), and that
// RunClient and RunLatency may run at once for tests on disjoint
// endpoints and nodes (a mesh's round: no node in two tests), as may
// StartServer on different endpoints; Close removes everything the
// cluster created.
//
// Every implementation keeps the rules written on the methods below;
// internal/cluster/clustertest checks them, and each backend runs it.
type Cluster interface {
	Info(ctx context.Context) (Info, error)
	// Endpoints lists the node endpoints first, one per node, each with
	// Node == Name; then the pod endpoints, node by node in the same order,
	// the j-th pod of the i-th node (both from 1) named pod-<i><j-th
	// letter>: pod-1a, pod-1b, pod-2a, … Every endpoint has an address,
	// IPv4 first; names are unique; every call returns the same list.
	Endpoints(ctx context.Context) ([]Endpoint, error)
	// StartServer starts (or, where servers always run, finds) a server
	// on ep listening on port; port 0 is the cluster's default. On an
	// external endpoint a backend may start nothing and return a Server
	// whose Target is where the user's server listens.
	StartServer(ctx context.Context, ep Endpoint, port int) (Server, error)
	// Expose puts Services (ClusterIP, NodePort) in front of a server and
	// returns their targets, each of kind ClusterIPTarget or
	// NodePortTarget with the server's endpoint as Backend; clusters
	// without Services return none and no error.
	Expose(ctx context.Context, srv Server) ([]Target, error)
	// RunClient runs one test from an endpoint against a target. It calls
	// the context's interval hook (engine.WithIntervalHook) with each
	// interval as it ends, and never after it returns. When ctx is
	// cancelled it stops promptly with an error that wraps ctx's error.
	RunClient(ctx context.Context, from Endpoint, to Target, spec engine.Spec) (*engine.Result, error)
	// RunLatency runs one request/response test (rr, crr, udp-rr) from an
	// endpoint against a target's `cnibench server`, like RunClient. When
	// ctx is cancelled it stops promptly with an error that wraps ctx's
	// error; a test that measured nothing is an error, never a result.
	RunLatency(ctx context.Context, from Endpoint, to Target, spec engine.LatencySpec) (*engine.LatencyResult, error)
	Path(ctx context.Context, from Endpoint, to Target) (Path, error)
	// Close removes everything the cluster created; closing twice is fine.
	Close(ctx context.Context) error
}
