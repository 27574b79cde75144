package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/netns"
	"github.com/cnibench/cnibench/internal/runid"
	"github.com/cnibench/cnibench/internal/testenv"
	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
)

// hostSnapshot describes the test process's own network namespace: links,
// addresses, routes (all tables), rules, qdiscs and nftables tables.
func hostSnapshot(t testing.TB) string {
	t.Helper()
	var lines []string
	add := func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) }
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		a := l.Attrs()
		add("link %d %s %s mtu=%d flags=%v master=%d", a.Index, a.Name, l.Type(), a.MTU, a.Flags, a.MasterIndex)
	}
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		add("addr %d %s", a.LinkIndex, a.IPNet)
	}
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: 0}, netlink.RT_FILTER_TABLE)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		add("route table=%d %s", r.Table, r)
	}
	rules, err := netlink.RuleList(netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		add("rule %s", r)
	}
	qdiscs, err := netlink.QdiscList(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qdiscs {
		add("qdisc %d %s %v", q.Attrs().LinkIndex, q.Type(), q.Attrs().Handle)
	}
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	tables, err := c.ListTables()
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		add("nft table %d %s", tb.Family, tb.Name)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// leftovers lists what a lab could leave outside the process: named
// namespaces and their bind mounts.
func leftovers(t testing.TB) []string {
	t.Helper()
	var out []string
	names, err := netns.ListNamed("cnibench-")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, names...)
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(mounts), "\n") {
		if strings.Contains(line, "/cnibench-") {
			out = append(out, "mount: "+line)
		}
	}
	return out
}

func countFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// openFDs names this process's descriptors and what they point at, for
// a leak's error message.
func openFDs() []string {
	ents, _ := os.ReadDir("/proc/self/fd")
	var out []string
	for _, e := range ents {
		l, _ := os.Readlink("/proc/self/fd/" + e.Name())
		out = append(out, e.Name()+"→"+l)
	}
	return out
}

// settle waits up to a second for count to fall to want, returning the
// last count: goroutines still finishing, or descriptors still being
// closed (beside a CPU hog, TestCyclesLeakNothing once counted one more
// just after its last build). A leak per build stays: 200 builds would
// leave hundreds.
func settle(want int, count func() int) int {
	n := count()
	for i := 0; i < 200 && n > want; i++ {
		time.Sleep(5 * time.Millisecond)
		n = count()
	}
	return n
}

func TestHostNamespaceUntouched(t *testing.T) {
	testenv.MustBeRoot(t)
	before := hostSnapshot(t)
	for _, cfg := range []Config{
		{Datapath: Routed, DualStack: true, LinkRate: 1e9, PolicyRules: 50, Named: true},
		{Datapath: VXLAN, DualStack: true, LinkRate: 1e9, PolicyRules: 50},
	} {
		l, err := Build(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.expose(endpoint(t, l, "pod-2a"), echoPort); err != nil {
			t.Fatal(err)
		}
		if mid := hostSnapshot(t); mid != before {
			t.Errorf("%s lab changed the host namespace while up:\n%s", cfg.Datapath, diffLines(before, mid))
		}
		if err := l.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if after := hostSnapshot(t); after != before {
		t.Errorf("host namespace changed:\n%s", diffLines(before, after))
	}
	if left := leftovers(t); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

func diffLines(a, b string) string {
	in := map[string]int{}
	for _, l := range strings.Split(a, "\n") {
		in[l]++
	}
	var d []string
	for _, l := range strings.Split(b, "\n") {
		if in[l] > 0 {
			in[l]--
			continue
		}
		d = append(d, "+ "+l)
	}
	for l, n := range in {
		if n > 0 {
			d = append(d, "- "+l)
		}
	}
	return strings.Join(d, "\n")
}

// TestCyclesLeakNothing builds and removes labs 100 times, and interrupts
// 100 more builds at every step, then checks nothing is left: namespaces,
// mounts, links and tables in the host namespace, fds, goroutines.
func TestCyclesLeakNothing(t *testing.T) {
	testenv.MustBeRoot(t)
	if testing.Short() {
		t.Skip("100 cycles: skipped with -short")
	}
	ctx := context.Background()
	host := hostSnapshot(t)
	// Warm up once so lazily opened runtime fds don't count.
	l, err := Build(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	_ = l.Close(ctx)
	fds, gs := countFDs(t), settle(0, runtime.NumGoroutine)
	steps := []string{"namespaces", "sysctls", "switch", "pods", "datapath", "nftables", "ready"}
	boom := errors.New("injected failure")
	start := time.Now()
	for i := 0; i < 100; i++ {
		cfg := Config{Datapath: Datapaths[i%2], DualStack: i%4 < 2, PolicyRules: 10, Named: i%10 == 0}
		l, err := Build(ctx, cfg)
		if err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		if err := l.Close(ctx); err != nil {
			t.Fatalf("cycle %d close: %v", i, err)
		}
		if err := l.Close(ctx); err != nil {
			t.Fatalf("cycle %d second close: %v", i, err)
		}
		fail := steps[i%len(steps)]
		failing := builder{beforeStep: func(step string) error {
			if step == fail {
				return boom
			}
			return nil
		}}
		_, err = failing.build(ctx, cfg)
		if !errors.Is(err, boom) {
			t.Fatalf("cycle %d: interrupted build at %s returned %v", i, fail, err)
		}
	}
	t.Logf("200 builds (100 completed + 100 interrupted) in %v", time.Since(start))
	if n := settle(fds, func() int { return countFDs(t) }); n > fds {
		t.Errorf("fds: %d before, %d after: %v", fds, n, openFDs())
	}
	if n := settle(gs, runtime.NumGoroutine); n > gs {
		buf := make([]byte, 1<<16)
		t.Errorf("goroutines: %d before, %d after\n%s", gs, n, buf[:runtime.Stack(buf, true)])
	}
	if left := leftovers(t); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	if after := hostSnapshot(t); after != host {
		t.Errorf("host namespace changed:\n%s", diffLines(host, after))
	}
}

// TestRollbackKeepsOthers: a build that collides half-way with another
// lab's namespace removes only what it made.
func TestRollbackKeepsOthers(t *testing.T) {
	testenv.MustBeRoot(t)
	id := runid.New()
	other, err := netns.NewNamed(podNSName(id, 2, 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close(); _ = netns.DeleteNamed(podNSName(id, 2, 1)) })
	_, err = Build(context.Background(), Config{ID: id, Named: true})
	if err == nil {
		t.Fatal("build over an existing namespace succeeded")
	}
	names, _ := netns.ListNamed(nsPrefix(id))
	if len(names) != 1 || names[0] != podNSName(id, 2, 1) {
		t.Fatalf("after rollback: %v, want only the other namespace", names)
	}
}

func TestTwoLabsAtOnce(t *testing.T) {
	a := newLab(t, Config{Named: true, Nodes: 2, PodsPerNode: 1})
	b := newLab(t, Config{Named: true, Nodes: 2, PodsPerNode: 1, Datapath: VXLAN})
	for _, l := range []*Lab{a, b} {
		echoServer(t, l, "pod-2a", echoPort)
		to := endpoint(t, l, "pod-2a").Addrs[0]
		if err := checkTCP(network(t, l, "pod-1a"), netipAddrPort(to, echoPort)); err != nil {
			t.Errorf("lab %s: %v", l.ID(), err)
		}
	}
}

func TestUnsupportedDatapathFailsFirst(t *testing.T) {
	testenv.MustBeRoot(t)
	for _, d := range []Datapath{IPIP, WireGuard} {
		if Supported(d) == nil {
			continue
		}
		fds := countFDs(t)
		_, err := Build(context.Background(), Config{Datapath: d, Named: true, ID: "unsup"})
		if err == nil {
			t.Fatalf("%s: build succeeded on a kernel without it", d)
		}
		msg := err.Error()
		if !strings.Contains(msg, kernelModule[d]+" kernel module") || !strings.Contains(msg, "supports: routed, vxlan") {
			t.Errorf("%s: error %q should name the module and list the supported datapaths", d, msg)
		}
		if names, _ := netns.ListNamed(nsPrefix("unsup")); len(names) > 0 || countFDs(t) > fds {
			t.Errorf("%s: something was built before failing: %v", d, names)
		}
	}
}
