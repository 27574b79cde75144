// Package kube is the Kubernetes cluster: it implements cluster.Cluster on a
// real cluster through client-go. Every run gets a fresh namespace
// cnibench-<run id> holding, on each of two nodes, a hostNetwork pod (the
// node endpoint) and two pods (the pod endpoints), all pinned to their node
// and running `cnibench server`; clients run by exec into those pods, and
// Close deletes the namespace and waits until it is gone.
package kube
