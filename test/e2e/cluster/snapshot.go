package cluster

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/cnibench/cnibench/internal/netns"
	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
)

// Snapshot describes, one fact per line, everything of the host that the
// harness could leave behind: the sysctls kubelet rewrites, the fixed host
// paths, our cgroups, mounts under the run directory, our network
// namespaces, the host's links, routes and nftables tables, and processes
// that name the run directory. Take one before Up and one after Down: they
// must be equal.
func Snapshot(runDir string) ([]string, error) {
	var out []string
	sys, err := readSysctls(hostSysctls)
	if err != nil {
		return nil, err
	}
	for k, v := range sys {
		out = append(out, fmt.Sprintf("sysctl %s=%s", k, v))
	}
	for p, ok := range existing(hostPaths) {
		out = append(out, fmt.Sprintf("path %s exists=%v", p, ok))
	}
	if _, err := os.Stat(runDir); err == nil {
		out = append(out, "run directory "+runDir)
	}
	for _, c := range leftoverCgroups() {
		out = append(out, "cgroup "+c)
	}
	mps, err := mountsUnder(runDir)
	if err != nil {
		return nil, err
	}
	for _, m := range mps {
		out = append(out, "mount "+m)
	}
	names, err := netns.ListNamed(namePrefix + "-")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		out = append(out, "netns "+n)
	}
	links, err := netlink.LinkList()
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		out = append(out, "link "+l.Attrs().Name)
	}
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: 0}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, err
	}
	for _, r := range routes {
		if r.Protocol == 2 { // kernel-made routes of addresses: covered by links
			continue
		}
		out = append(out, fmt.Sprintf("route table %d type %d dst %v gw %v dev %d", r.Table, r.Type, r.Dst, r.Gw, r.LinkIndex))
	}
	c, err := nftables.New()
	if err != nil {
		return nil, err
	}
	tables, err := c.ListTables()
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		out = append(out, fmt.Sprintf("nft table family %d %s", t.Family, t.Name))
	}
	for _, pid := range processesNaming(runDir) {
		out = append(out, fmt.Sprintf("process %d names %s", pid, runDir))
	}
	sort.Strings(out)
	return out, nil
}

// processesNaming lists the live processes whose command line mentions dir
// (our daemons and containerd's shims all do), but not this one.
func processesNaming(dir string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !strings.Contains(string(b), dir) {
			continue
		}
		if st, _, err := procStat(pid); err == nil && st != 'Z' && st != 'X' {
			out = append(out, pid)
		}
	}
	return out
}

// Diff lists the lines only in before (-) or only in after (+).
func Diff(before, after []string) []string {
	in := func(xs []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range xs {
			m[x] = true
		}
		return m
	}
	b, a := in(before), in(after)
	var out []string
	for _, x := range before {
		if !a[x] {
			out = append(out, "- "+x)
		}
	}
	for _, x := range after {
		if !b[x] {
			out = append(out, "+ "+x)
		}
	}
	return out
}
