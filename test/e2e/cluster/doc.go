// Package cluster builds and removes a real multi-node Kubernetes cluster on
// this one machine for end-to-end tests: components built from the Go module
// proxy, etcd, containerd, runc and CNI plugins from Debian, nodes as network
// namespaces on a switch (internal/cluster/lab's), every address inside
// 198.18.0.0/15. Up records everything it creates in a run directory so that
// Down removes it all, even after a failed or interrupted Up. See docs/e2e.md.
package cluster
