package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/agent"
	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	corev1 "k8s.io/api/core/v1"
)

// Settings of the paths that leave the pod network's usual ways.
const (
	SettingExternalServer        Setting = "external server"         // Config.ExternalServer
	SettingExternalTrafficPolicy Setting = "external traffic policy" // Config.ExternalTrafficPolicy
)

// externalProbeTimeout bounds New's check that the external server answers.
const externalProbeTimeout = 10 * time.Second

// ParseExternalServer reads HOST[:PORT] (an IPv6 literal in brackets when
// it has a port); the port defaults to engine.DefaultPort (5201).
func ParseExternalServer(s string) (host string, port int, err error) {
	bad := func(why string) error {
		return &SettingError{Setting: SettingExternalServer, Value: s, Err: errors.New(why + ": use HOST[:PORT], e.g. 203.0.113.10 or iperf.example.com:5201")}
	}
	if s == "" {
		return "", 0, bad("empty")
	}
	host, p, err := net.SplitHostPort(s)
	if err != nil { // no port
		host, p = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"), strconv.Itoa(engine.DefaultPort)
		_, aerr := netip.ParseAddr(host)
		if strings.HasPrefix(s, "[") != strings.HasSuffix(s, "]") || strings.ContainsAny(host, "[]:") && aerr != nil {
			return "", 0, bad("not a host")
		}
	}
	port, err = strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, bad("port " + strconv.Quote(p))
	}
	if host == "" {
		return "", 0, bad("no host")
	}
	return host, port, nil
}

// resolveExternal turns Config.ExternalServer into the external endpoint
// and its port: the host's first address of each family, IPv4 first (a
// run over IPv6 takes the second).
func resolveExternal(ctx context.Context, s string) (cluster.Endpoint, int, error) {
	host, port, err := ParseExternalServer(s)
	if err != nil {
		return cluster.Endpoint{}, 0, err
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		addrs, lerr := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if lerr != nil || len(addrs) == 0 {
			return cluster.Endpoint{}, 0, &SettingError{Setting: SettingExternalServer, Value: s, Err: fmt.Errorf("resolve %s: %v", host, lerr)}
		}
		var byFamily []netip.Addr
		for _, f := range []cluster.Family{cluster.IPv4, cluster.IPv6} {
			for _, a := range addrs {
				if cluster.FamilyOf(a) == f {
					byFamily = append(byFamily, a.Unmap())
					break
				}
			}
		}
		return cluster.Endpoint{Name: cluster.ExternalName, Kind: cluster.ExternalEndpoint, Addrs: byFamily}, port, nil
	}
	return cluster.Endpoint{Name: cluster.ExternalName, Kind: cluster.ExternalEndpoint, Addrs: []netip.Addr{addr.Unmap()}}, port, nil
}

// checkExternal waits until the external server accepts a TCP connection
// from node A's host network and from its first pod (through the node's
// SNAT), by exec of `cnibench probe`: a server that is not there fails the
// run before it measures, not half-way.
func (c *Cluster) checkExternal(ctx context.Context) error {
	var tos []netip.AddrPort // the address of each family the run measures over
	for _, a := range c.external.Addrs {
		if len(c.cfg.IPFamilies) == 0 && len(tos) == 0 || slices.Contains(c.cfg.IPFamilies, cluster.FamilyOf(a)) {
			tos = append(tos, netip.AddrPortFrom(a, uint16(c.externalPort)))
		}
	}
	if len(tos) == 0 {
		return &SettingError{Setting: SettingExternalServer, Value: c.cfg.ExternalServer, Err: fmt.Errorf(
			"%s has no address of the families measured (%v): give a host name or address with one", c.cfg.ExternalServer, c.external.Addrs)}
	}
	node := c.choice.Nodes[0]
	from := map[string]string{node: node + "'s host network"}
	names := []string{node}
	if ep, ok := c.firstPod(node); ok {
		from[ep.Name] = "pod " + ep.Name + " on " + node
		names = append(names, ep.Name)
	}
	for _, name := range names {
		var out, stderr bytes.Buffer
		err := c.cfg.Exec.Exec(ctx, c.ns, c.byName[name].name, containerName, agent.ProbeArgs(binaryPath, externalProbeTimeout, tos), &out, &stderr)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &SettingError{Setting: SettingExternalServer, Value: c.cfg.ExternalServer, Err: fmt.Errorf(
				"%s does not answer from %s after %v: run `cnibench server` (or `iperf3 -s`) there, and let the nodes reach it: %s",
				joinAddrPorts(tos), from[name], externalProbeTimeout, agent.Truncate(strings.TrimPrefix(strings.TrimSpace(firstNonEmpty(stderr.String(), explain(err).Error())), "Error: "), 300))}
		}
	}
	return nil
}

// joinAddrPorts is "198.18.0.200:5201" or "198.18.0.200:5201 or [fd00::200]:5201".
func joinAddrPorts(as []netip.AddrPort) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, " or ")
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// externalServer is the server the user runs outside the cluster: the run
// starts and stops nothing there.
type externalServer struct {
	ep   cluster.Endpoint
	port int
}

func (s *externalServer) Endpoint() cluster.Endpoint { return s.ep }

func (s *externalServer) Target() cluster.Target {
	return cluster.Target{Kind: cluster.DirectTarget, Addr: netip.AddrPortFrom(s.ep.Addrs[0], uint16(s.port)), Backend: s.ep}
}

func (s *externalServer) Stop(context.Context) error { return nil }

// CheckTrafficPolicy checks an externalTrafficPolicy: Cluster or Local.
func CheckTrafficPolicy(p corev1.ServiceExternalTrafficPolicy) error {
	switch p {
	case corev1.ServiceExternalTrafficPolicyCluster, corev1.ServiceExternalTrafficPolicyLocal:
		return nil
	}
	return &SettingError{Setting: SettingExternalTrafficPolicy, Value: string(p), Err: errors.New("use Cluster or Local")}
}

// refusedNodePort says why the cluster refuses a NodePort target: with
// externalTrafficPolicy Local a node without a backend drops what arrives
// on its NodePort (no SNAT, no hop to another node), so the run says so
// at once instead of waiting for a connection that never comes.
func (c *Cluster) refusedNodePort(to cluster.Target) error {
	if to.Kind != cluster.NodePortTarget || c.cfg.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal {
		return nil
	}
	if node := c.nodeOfAddr(to.Addr.Addr()); node != "" && node != to.Backend.Node {
		return fmt.Errorf("the NodePort %s on %s has no backend there (it runs on %s) and externalTrafficPolicy is Local: "+
			"the cluster drops its traffic, as it should; measure the extra hop with externalTrafficPolicy Cluster", to.Addr, node, to.Backend.Node)
	}
	return nil
}
