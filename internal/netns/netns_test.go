package netns

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/testenv"
	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
)

// newTestNS creates a throwaway anonymous namespace with lo up.
func newTestNS(t *testing.T) *NS {
	t.Helper()
	testenv.MustBeRoot(t)
	ns, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	h, err := netlink.NewHandleAt(vnetns.NsHandle(ns.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		t.Fatal(err)
	}
	return ns
}

func selfInode(t *testing.T) uint64 {
	t.Helper()
	self, err := Open("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	defer self.Close()
	ino, err := self.Inode()
	if err != nil {
		t.Fatal(err)
	}
	return ino
}

func TestDoEntersAndReturns(t *testing.T) {
	ns := newTestNS(t)
	host := selfInode(t)
	want, _ := ns.Inode()
	if want == host {
		t.Fatal("new namespace has the host's inode")
	}
	for i := 0; i < 20; i++ {
		var got uint64
		err := Do(ns, func() error {
			cur, err := Current()
			if err != nil {
				return err
			}
			defer cur.Close()
			got, err = cur.Inode()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("inside Do: namespace %d, want %d", got, want)
		}
	}
	// No thread of ours may have stayed in the namespace.
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, task := range tasks {
		p := filepath.Join("/proc/self/task", task.Name(), "ns/net")
		var st os.FileInfo
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		if ino := inodeOf(st); ino == want {
			t.Fatalf("thread %s left in the test namespace", task.Name())
		}
	}
}

func TestDoReturnsError(t *testing.T) {
	ns := newTestNS(t)
	boom := errors.New("boom")
	if err := Do(ns, func() error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Do = %v, want boom", err)
	}
}

func TestNamedCreateDeleteIdempotent(t *testing.T) {
	testenv.MustBeRoot(t)
	name := "cnibench-nstest-" + strings.ReplaceAll(t.Name(), "/", "-")
	_ = DeleteNamed(name)
	ns, err := NewNamed(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close(); _ = DeleteNamed(name) })
	if ns.Name() != name || ns.Path() != filepath.Join(RunDir, name) {
		t.Fatalf("name %q path %q", ns.Name(), ns.Path())
	}
	if _, err := NewNamed(name); err == nil {
		t.Fatal("second NewNamed with the same name succeeded")
	}
	names, err := ListNamed("cnibench-nstest-")
	if err != nil || len(names) != 1 || names[0] != name {
		t.Fatalf("ListNamed = %v, %v", names, err)
	}
	// ip netns exec can enter it (inspection only).
	if ip, err := exec.LookPath("ip"); err == nil {
		out, err := exec.Command(ip, "netns", "exec", name, ip, "-o", "link", "show").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "lo:") {
			t.Fatalf("ip netns exec: %v: %s", err, out)
		}
	}
	ino1, _ := ns.Inode()
	reopened, err := Open(ns.Path())
	if err != nil {
		t.Fatal(err)
	}
	ino2, _ := reopened.Inode()
	reopened.Close()
	if ino1 != ino2 {
		t.Fatalf("reopened inode %d, want %d", ino2, ino1)
	}
	for i := 0; i < 2; i++ {
		if err := DeleteNamed(name); err != nil {
			t.Fatalf("DeleteNamed #%d: %v", i+1, err)
		}
	}
	if _, err := os.Stat(ns.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("namespace file still there: %v", err)
	}
	if mounts, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(mounts), name) {
		t.Fatal("bind mount left behind")
	}
}

func TestValidName(t *testing.T) {
	for _, bad := range []string{"", ".", "..", "a/b", "../x"} {
		if _, err := NewNamed(bad); err == nil {
			t.Errorf("NewNamed(%q) succeeded", bad)
		}
	}
}

func TestNetworkSocketsStayInNamespace(t *testing.T) {
	ns := newTestNS(t)
	nw := Network{NS: ns}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ln, err := nw.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.Copy(c, c)
	}()
	// The same loopback address in the host namespace is another place: a
	// namespace's listener must not be reachable from there.
	if c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Log("note: something in the host namespace listens on the same port; skipping isolation check")
	}
	c, err := nw.Dial(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo = %q, %v", buf, err)
	}

	pc, err := nw.ListenPacket(ctx, "udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	uc, err := nw.Dial(ctx, "udp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	if _, err := uc.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, _, err := pc.ReadFrom(buf); err != nil || n != 1 {
		t.Fatalf("udp read %d, %v", n, err)
	}
}

func TestNetworkRejectsNames(t *testing.T) {
	nw := Network{}
	if _, err := nw.Dial(context.Background(), "tcp", "localhost:1"); err == nil {
		t.Fatal("Dial accepted a host name")
	}
	if _, err := nw.Listen(context.Background(), "tcp", "example.invalid:1"); err == nil {
		t.Fatal("Listen accepted a host name")
	}
}

func TestNoLeaks(t *testing.T) {
	testenv.MustBeRoot(t)
	before := countFDs(t)
	for i := 0; i < 100; i++ {
		ns, err := New()
		if err != nil {
			t.Fatal(err)
		}
		if err := Do(ns, func() error { return nil }); err != nil {
			t.Fatal(err)
		}
		if err := ns.Close(); err != nil {
			t.Fatal(err)
		}
		if err := ns.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}
	// Another test's sockets may still be closing on their goroutines:
	// give them a moment before counting (the bound stays: no more fds
	// than before).
	after := countFDs(t)
	for deadline := time.Now().Add(2 * time.Second); after > before && time.Now().Before(deadline); after = countFDs(t) {
		time.Sleep(20 * time.Millisecond)
	}
	if after > before {
		t.Fatalf("open fds %d before, %d after", before, after)
	}
}

func countFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
