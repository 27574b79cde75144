package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/netns"
)

// ProxyMode is kube-proxy's mode on the harness's nodes.
type ProxyMode string

const (
	ProxyIPTables ProxyMode = "iptables"
	ProxyNFTables ProxyMode = "nftables"
	ProxyIPVS     ProxyMode = "ipvs"
)

// ProxyModes are the modes the harness runs, in documentation order.
var ProxyModes = []ProxyMode{ProxyIPTables, ProxyNFTables}

// ipvsProc is where a kernel with IPVS (the ip_vs module) shows it.
const ipvsProc = "/proc/net/ip_vs"

// Supported says why the harness cannot run kube-proxy in mode m, nil when
// it can.
func (m ProxyMode) Supported() error {
	switch m {
	case ProxyIPTables, ProxyNFTables:
		return nil
	case ProxyIPVS:
		if _, err := os.Stat(ipvsProc); err != nil {
			return fmt.Errorf("kube-proxy mode ipvs needs the kernel's IPVS (module ip_vs), which this kernel lacks (%s is absent): use %v", ipvsProc, ProxyModes)
		}
		return fmt.Errorf("kube-proxy mode ipvs: the harness runs only %v (ipvs also needs ipset and the ip_vs schedulers)", ProxyModes)
	}
	return fmt.Errorf("kube-proxy mode %q: use one of %v", m, ProxyModes)
}

// kubeProxyPorts: its metrics endpoint (with /proxyMode) and healthz, on
// each node's loopback (kubeProxyConfig).
const (
	kubeProxyMetrics = "127.0.0.1:10249"
	kubeProxyHealthz = "127.0.0.1:10256"
)

// SetProxyMode switches kube-proxy on every node of the cluster st records
// to mode: it stops the node's kube-proxy, removes its rules with
// `kube-proxy --cleanup` (every mode's chains and tables, as on a node
// being switched), starts it in the new mode, waits until it says so on
// /proxyMode and is healthy, and checks that no rule of the other mode is
// left. Only kube-proxy restarts: pods and Services stay.
func SetProxyMode(ctx context.Context, st *State, mode ProxyMode, log *slog.Logger) error {
	if err := mode.Supported(); err != nil {
		return err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := st.Running(); err != nil {
		return err
	}
	p := paths(st.Config.RunDir)
	for i := 1; i <= st.Config.Nodes; i++ {
		start := time.Now()
		if err := switchNode(ctx, st, p, i, mode); err != nil {
			return fmt.Errorf("%s: kube-proxy %s: %w", NodeName(i), mode, err)
		}
		log.Info("kube-proxy switched", "node", NodeName(i), "mode", mode, "after", time.Since(start).Round(time.Millisecond))
	}
	st.Config.ProxyMode = mode
	return st.save()
}

func switchNode(ctx context.Context, st *State, p paths, i int, mode ProxyMode) error {
	name := NodeName(i) + "-kube-proxy"
	k := -1
	for j, pr := range st.Procs {
		if pr.Name == name {
			k = j
		}
	}
	if k < 0 {
		return errors.New("not recorded in the cluster's state")
	}
	ns, err := netns.Open(filepath.Join(netns.RunDir, nodeNSName(i)))
	if err != nil {
		return err
	}
	defer ns.Close()
	if err := st.Procs[k].stop(5 * time.Second); err != nil {
		return err
	}
	cfg := filepath.Join(p.node(i), "kube-proxy.yaml")
	bin := filepath.Join(st.BinDir, "kube-proxy")
	if err := cleanupRules(ctx, ns, bin, cfg, st.Procs[k].Log); err != nil {
		return err
	}
	next := st.Config
	next.ProxyMode = mode
	if err := os.WriteFile(cfg, []byte(kubeProxyConfig(p, i, next)), 0o644); err != nil {
		return err
	}
	pr, err := startProc(ns, p.logs(), name, bin, []string{"--config=" + cfg, "--v=1"}, nil)
	if err != nil {
		return err
	}
	st.Procs[k] = pr
	if err := st.save(); err != nil {
		return err
	}
	err = poll(ctx, 60*time.Second, func() error {
		if !pr.Alive() {
			return backoffStop{fmt.Errorf("exited; see %s", pr.Log)}
		}
		got, err := httpGetIn(ns, kubeProxyMetrics, "/proxyMode")
		if err != nil {
			return err
		}
		if strings.TrimSpace(got) != string(mode) {
			return backoffStop{fmt.Errorf("/proxyMode says %q after the switch", got)}
		}
		_, err = httpGetIn(ns, kubeProxyHealthz, "/healthz")
		return err
	})
	if err != nil {
		return err
	}
	return leftovers(ns, mode)
}

// cleanupRules runs `kube-proxy --cleanup` in the node: it removes the
// iptables, ipvs and nftables rules of every mode and exits.
func cleanupRules(ctx context.Context, ns *netns.NS, bin, cfg, logPath string) error {
	logw, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logw.Close()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--cleanup", "--config="+cfg, "--v=1")
	cmd.Stdout, cmd.Stderr = logw, logw
	if err := netns.Do(ns, cmd.Run); err != nil {
		return fmt.Errorf("kube-proxy --cleanup: %w; see %s", err, logPath)
	}
	return nil
}

// leftovers fails when the node still holds kube-proxy rules of another
// mode than mode: iptables mode's KUBE-SERVICES chain (iptables-nft keeps
// it in nftables), or nftables mode's table kube-proxy.
func leftovers(ns *netns.NS, mode ProxyMode) error {
	chains, err := chainsIn(ns)
	if err != nil {
		return err
	}
	var found []string
	for _, ch := range chains {
		switch {
		case mode != ProxyIPTables && ch.Name == "KUBE-SERVICES":
			found = append(found, "iptables chain "+ch.Table.Name+"/"+ch.Name)
		case mode != ProxyNFTables && ch.Table.Name == "kube-proxy":
			found = append(found, "nftables table kube-proxy")
		}
	}
	if len(found) > 0 {
		return fmt.Errorf("rules of another mode are left after the switch: %s", strings.Join(found, ", "))
	}
	return nil
}

// httpGetIn GETs path from addr inside ns (a socket made in the node's
// namespace; an HTTP client's own dialer would dial from the host's) and
// returns the body of a 200 answer.
func httpGetIn(ns *netns.NS, addr, path string) (string, error) {
	var conn net.Conn
	err := netns.Do(ns, func() error {
		var err error
		conn, err = net.DialTimeout("tcp", addr, 2*time.Second)
		return err
	})
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, addr); err != nil {
		return "", err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET http://%s%s: %s", addr, path, resp.Status)
	}
	return string(b), nil
}
