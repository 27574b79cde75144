// Package cluster is the one interface behind which cnibench finds its
// endpoints and runs the engine: the emulated lab and a real Kubernetes
// cluster both implement it, so every scenario runs unchanged on either.
package cluster

import (
	"context"
	"net/netip"

	"github.com/cnibench/cnibench/internal/engine"
)

// EndpointKind says whether an endpoint is a node's host network or a pod.
type EndpointKind string

const (
	NodeEndpoint EndpointKind = "node"
	PodEndpoint  EndpointKind = "pod"
)

// Endpoint is a place where a server or client can run.
type Endpoint struct {
	Name  string       `json:"name"` // e.g. "node-1" or "pod-1a"
	Node  string       `json:"node"` // the node it lives on (itself for node endpoints)
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
}

// Server is a running engine server on an endpoint.
type Server interface {
	Endpoint() Endpoint
	// Target is the direct address of the server.
	Target() Target
	Stop(ctx context.Context) error
}

// Cluster is a place to measure. Implementations must be safe for one
// caller at a time; Close removes everything the cluster created.
type Cluster interface {
	Info(ctx context.Context) (Info, error)
	Endpoints(ctx context.Context) ([]Endpoint, error)
	StartServer(ctx context.Context, ep Endpoint, port int) (Server, error)
	// Expose puts Services (ClusterIP, NodePort) in front of a server and
	// returns their targets; clusters without Services return none.
	Expose(ctx context.Context, srv Server) ([]Target, error)
	RunClient(ctx context.Context, from Endpoint, to Target, spec engine.Spec) (*engine.Result, error)
	Path(ctx context.Context, from Endpoint, to Target) (Path, error)
	Close(ctx context.Context) error
}
