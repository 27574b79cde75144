package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os/exec"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/netns"
	"github.com/cnibench/cnibench/internal/testenv"
	"golang.org/x/sys/unix"
)

// newLab builds a lab for a test and removes it in t.Cleanup. Datapaths
// this kernel lacks skip with the reason (a kernel feature, not a
// privilege); routed and vxlan never skip as root.
func newLab(t testing.TB, cfg Config) *Lab {
	t.Helper()
	testenv.MustBeRoot(t)
	if cfg.Datapath != "" && cfg.Datapath != Routed && cfg.Datapath != VXLAN {
		if err := Supported(cfg.Datapath); err != nil {
			t.Skipf("kernel lacks the %s module needed by datapath %s: %v", kernelModule[cfg.Datapath], cfg.Datapath, err)
		}
	}
	l, err := Build(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return l
}

func endpoint(t testing.TB, l *Lab, name string) cluster.Endpoint {
	t.Helper()
	eps, _ := l.Endpoints(context.Background())
	for _, e := range eps {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no endpoint %s", name)
	return cluster.Endpoint{}
}

func network(t testing.TB, l *Lab, name string) netns.Network {
	t.Helper()
	nw, err := l.Network(endpoint(t, l, name))
	if err != nil {
		t.Fatal(err)
	}
	return nw
}

// echoServer answers TCP and UDP on port inside endpoint name, until the
// test ends. UDP binds each of the endpoint's addresses, so a reply leaves
// from the address the client sent to (a node has several).
func echoServer(t testing.TB, l *Lab, name string, port int) {
	t.Helper()
	ctx := context.Background()
	nw := network(t, l, name)
	ln, err := nw.Listen(ctx, "tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	for _, a := range endpoint(t, l, name).Addrs {
		pc, err := nw.ListenPacket(ctx, "udp", netip.AddrPortFrom(a, uint16(port)).String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pc.Close() })
		go udpEcho(pc)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
}

func udpEcho(pc net.PacketConn) {
	buf := make([]byte, 65536)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		_, _ = pc.WriteTo(buf[:n], from)
	}
}

// checkTCP connects and echoes a message.
func checkTCP(nw netns.Network, to netip.AddrPort) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := nw.Dial(ctx, "tcp", to.String())
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	msg := []byte("cnibench over tcp")
	if _, err := c.Write(msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if string(got) != string(msg) {
		return fmt.Errorf("echo %q", got)
	}
	return nil
}

// checkUDP sends a datagram of size bytes (DF set when df) and waits for its
// echo, again with a longer wait each time (0.3, 0.7, 2 s): a path's first
// IPv6 packet waits for neighbour discovery, and once, with a CPU hog beside
// the tests (scripts/stress-tests.sh), all three echoes of the first IPv6
// datagram of a fresh lab came back after the 0.9 s the tries had then (the
// client's node counted them as Udp6NoPorts): the NDP retransmit timer is
// 1 s. A datagram too large fails at once (EMSGSIZE) or after the last wait.
func checkUDP(nw netns.Network, to netip.AddrPort, size int, df bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := nw.Dial(ctx, "udp", to.String())
	if err != nil {
		return err
	}
	defer c.Close()
	if df {
		if err := setDF(c.(*net.UDPConn), to.Addr().Is6()); err != nil {
			return err
		}
	}
	msg := make([]byte, size)
	for i := range msg {
		msg[i] = byte(i)
	}
	got := make([]byte, size+1)
	var lastErr error
	for _, wait := range []time.Duration{300 * time.Millisecond, 700 * time.Millisecond, 2 * time.Second} {
		if _, err := c.Write(msg); err != nil {
			return err // EMSGSIZE when the local MTU is smaller
		}
		_ = c.SetReadDeadline(time.Now().Add(wait))
		n, err := c.Read(got)
		if err == nil && n == size {
			return nil
		}
		lastErr = err
		if err == nil {
			lastErr = fmt.Errorf("echo of %d bytes, sent %d", n, size)
		}
	}
	return lastErr
}

// setDF sets "don't fragment" (and never fragment locally) on a UDP socket.
func setDF(c *net.UDPConn, v6 bool) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		if v6 {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_MTU_DISCOVER, unix.IPV6_PMTUDISC_PROBE)
			if serr == nil {
				serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_DONTFRAG, 1)
			}
			return
		}
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_PROBE)
	})
	return errors.Join(err, serr)
}

func netInterfaceByName(name string) (*net.Interface, error) { return net.InterfaceByName(name) }

// dumpLab logs each namespace's links, neighbours and IP counters (with
// ip and nstat, to inspect only) when a connectivity check fails.
func dumpLab(t testing.TB, l *Lab) {
	t.Helper()
	script := "ip -s -br link; ip neigh; ip route; nstat -a 2>/dev/null | grep -v -e '^#' -e Ip6 -e Icmp6 | grep -i -e ip -e udp -e icmp"
	dump := func(name string, ns *netns.NS) {
		_ = netns.Do(ns, func() error {
			out, err := exec.Command("sh", "-c", script).CombinedOutput()
			t.Logf("== %s (%v)\n%s", name, err, out)
			return nil
		})
	}
	dump("switch", l.sw)
	for _, n := range l.nodes {
		dump(NodeName(n.idx), n.ns)
		for _, p := range n.pods {
			dump(PodName(p.node, p.idx), p.ns)
		}
	}
}
