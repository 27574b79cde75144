package kube

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/cnibench/cnibench/internal/cluster"
	corev1 "k8s.io/api/core/v1"
)

// Families is what the cluster offers of each address family, read from
// the nodes of the pair (spec.podCIDRs, InternalIPs), the run's pods
// (status.podIPs) and its Services (spec.clusterIPs).
type Families struct {
	PodCIDRs    []string `json:"pod_cidrs,omitempty"`    // the pair's nodes' spec.podCIDRs
	NodeIPs     []string `json:"node_ips,omitempty"`     // the pair's nodes' InternalIPs
	Pods        []int    `json:"pods,omitempty"`         // families of the pods' podIPs (4, 6)
	Nodes       []int    `json:"nodes,omitempty"`        // families every node of the pair has an InternalIP in
	Services    []int    `json:"services,omitempty"`     // families of the first Service's clusterIPs, once one is made
	ServiceNote string   `json:"service_note,omitempty"` // why a wanted family has no ClusterIP
}

// familiesOf lists the families of addrs, IPv4 first.
func familiesOf(addrs []netip.Addr) []int {
	var fs []int
	for _, a := range addrs {
		if f := int(cluster.FamilyOf(a)); !slices.Contains(fs, f) {
			fs = append(fs, f)
		}
	}
	slices.Sort(fs)
	return fs
}

// nodeFamilies reads the pair's nodes' podCIDRs and InternalIPs.
func nodeFamilies(nodes []*corev1.Node) Families {
	var f Families
	per := map[int]int{}
	for _, n := range nodes {
		if n == nil {
			continue
		}
		f.PodCIDRs = append(f.PodCIDRs, n.Spec.PodCIDRs...)
		if len(n.Spec.PodCIDRs) == 0 && n.Spec.PodCIDR != "" {
			f.PodCIDRs = append(f.PodCIDRs, n.Spec.PodCIDR)
		}
		var ips []netip.Addr
		for _, a := range n.Status.Addresses {
			if ip, err := netip.ParseAddr(a.Address); err == nil && a.Type == corev1.NodeInternalIP {
				f.NodeIPs = append(f.NodeIPs, a.Address)
				ips = append(ips, ip)
			}
		}
		for _, fam := range familiesOf(ips) {
			per[fam]++
		}
	}
	for _, fam := range []int{4, 6} {
		if per[fam] > 0 && per[fam] == countNodes(nodes) {
			f.Nodes = append(f.Nodes, fam)
		}
	}
	return f
}

func countNodes(nodes []*corev1.Node) int {
	n := 0
	for _, x := range nodes {
		if x != nil {
			n++
		}
	}
	return n
}

// cidrFamilies are the families of the podCIDRs, and whether every one
// parsed (none given: false, the CNI may not use them).
func (f Families) cidrFamilies() ([]int, bool) {
	var addrs []netip.Addr
	for _, s := range f.PodCIDRs {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, false
		}
		addrs = append(addrs, p.Addr())
	}
	return familiesOf(addrs), len(addrs) > 0
}

// DualStack reports whether pods have addresses of both families.
func (f Families) DualStack() bool { return len(f.Pods) == 2 }

// fact says the cluster's families in one line: "IP families: dual-stack
// (pods IPv4 and IPv6, nodes' InternalIPs IPv4 and IPv6, ClusterIPs IPv4
// and IPv6)".
func (f Families) fact() string {
	kind := "single-stack"
	if f.DualStack() {
		kind = "dual-stack"
	}
	s := fmt.Sprintf("IP families: %s (pods %s, nodes' InternalIPs %s", kind, familyWords(f.Pods), familyWords(f.Nodes))
	if len(f.Services) > 0 {
		s += ", ClusterIPs " + familyWords(f.Services)
	}
	return s + ")"
}

// familyWords is "IPv4 and IPv6", "IPv6", or "none".
func familyWords(fs []int) string {
	if len(fs) == 0 {
		return "none"
	}
	w := make([]string, len(fs))
	for i, f := range fs {
		w[i] = fmt.Sprintf("IPv%d", f)
	}
	return strings.Join(w, " and ")
}

// checkWanted explains the first family of want the cluster lacks: before
// the pods run, by the nodes' podCIDRs (when they are set: a CNI may
// assign pod addresses without them); once they run (podsKnown), by the
// pods' addresses, then the nodes' InternalIPs, which node-node needs.
func (f Families) checkWanted(want []cluster.Family, podsKnown bool) error {
	for _, w := range want {
		fam := int(w)
		cidrs, told := f.cidrFamilies()
		switch {
		case podsKnown && !slices.Contains(f.Pods, fam):
			return fmt.Errorf("the cluster has no IPv%d pod addresses: nodes' podCIDRs are %s and the pods got %s only: measure --ip-family %s, or make the cluster dual-stack",
				fam, listOr(f.PodCIDRs, "unset"), familyWords(f.Pods), otherFamilies(f.Pods))
		case !podsKnown && told && !slices.Contains(cidrs, fam):
			return fmt.Errorf("the cluster has no IPv%d pod addresses: nodes' podCIDRs are %s: measure --ip-family %s, or make the cluster dual-stack",
				fam, strings.Join(f.PodCIDRs, ", "), otherFamilies(cidrs))
		case podsKnown && !slices.Contains(f.Nodes, fam):
			return fmt.Errorf("the nodes have no IPv%d InternalIP (%s), so node-node cannot run over IPv%d: measure --ip-family %s, or give the kubelets an IPv%d --node-ip",
				fam, listOr(f.NodeIPs, "none"), fam, otherFamilies(f.Nodes), fam)
		}
	}
	return nil
}

// otherFamilies is --ip-family's value for the families fs: "4", "4,6".
func otherFamilies(fs []int) string {
	if len(fs) == 0 {
		return "4"
	}
	w := make([]string, len(fs))
	for i, f := range fs {
		w[i] = fmt.Sprint(f)
	}
	return strings.Join(w, ",")
}

func listOr(s []string, none string) string {
	if len(s) == 0 {
		return none
	}
	return strings.Join(s, ", ")
}

// wantsIPv6 reports whether the run measures over IPv6.
func (c Config) wantsIPv6() bool { return slices.Contains(c.IPFamilies, cluster.IPv6) }

// noteServiceFamilies records the families of a Service's ClusterIPs
// (the first Service's) and explains a wanted family it did not get.
func (c *Cluster) noteServiceFamilies(svc *corev1.Service) error {
	ips := svc.Spec.ClusterIPs
	if len(ips) == 0 && svc.Spec.ClusterIP != "" {
		ips = []string{svc.Spec.ClusterIP}
	}
	var addrs []netip.Addr
	for _, s := range ips {
		if a, err := netip.ParseAddr(s); err == nil {
			addrs = append(addrs, a)
		}
	}
	got := familiesOf(addrs)
	c.mu.Lock()
	if c.families.Services == nil {
		c.families.Services = got
	}
	c.mu.Unlock()
	for _, w := range c.cfg.IPFamilies {
		if !slices.Contains(got, int(w)) {
			return fmt.Errorf("the cluster gave Service %s no IPv%d ClusterIP (ipFamilyPolicy PreferDualStack, got %s): its Service CIDR has no IPv%d range (kube-apiserver --service-cluster-ip-range): measure --ip-family %s",
				svc.Name, w, listOr(ips, "none"), w, otherFamilies(got))
		}
	}
	return nil
}
