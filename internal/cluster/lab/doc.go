// Package lab is cnibench's embedded emulated cluster: a Kubernetes-shaped
// pod network (nodes on a switch, pods behind veths, a routed, VXLAN, IPIP
// or WireGuard datapath, Services through nftables DNAT, policy rules, a
// shaped link rate) built from real kernel objects in network namespaces,
// and never in the namespace the process started in. It implements
// cluster.Cluster; see docs/lab.md.
package lab
