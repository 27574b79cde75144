package cluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/netns"
	"github.com/google/nftables"
)

// Policy is the NetworkPolicy enforcer the cluster runs, besides its CNI
// (flannel and the bridge plugin enforce none).
type Policy string

const (
	// PolicyNone runs no enforcer: NetworkPolicies are ignored.
	PolicyNone Policy = "none"
	// PolicyKubeRouter runs kube-router as the firewall only (no routing,
	// no Service proxy), one process per node, with iptables and ipset.
	// kube-router v2.1.0 has reported security advisories: the harness
	// runs it on this machine's test cluster only.
	PolicyKubeRouter Policy = "kube-router"
)

// Policies lists the enforcer options.
var Policies = []Policy{PolicyNone, PolicyKubeRouter}

// DefaultKubeRouter is the kube-router version the harness builds.
const DefaultKubeRouter = "v2.1.0"

// kubeRouterHealth is where each node's kube-router answers /healthz.
const kubeRouterHealth = "127.0.0.1:20244"

// Check explains a Policy the harness cannot run.
func (p Policy) Check() error {
	if !slices.Contains(Policies, p) {
		return fmt.Errorf("policy enforcer %q: use one of %v", p, Policies)
	}
	if p == PolicyKubeRouter {
		for _, tool := range []string{"iptables", "ipset"} {
			if _, err := exec.LookPath(tool); err != nil {
				return fmt.Errorf("kube-router needs %s: apt-get install %s", tool, tool)
			}
		}
	}
	return nil
}

// EnsureKubeRouter returns the path of kube-router at version, built with
// `go install` from the module proxy into the cache (static, no cgo).
func EnsureKubeRouter(ctx context.Context, cacheDir, version string, log *slog.Logger) (string, error) {
	return installCached(ctx, cacheDir, "kube-router-"+version, "kube-router", "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@"+version, log, "CGO_ENABLED=0")
}

func kubeRouterProc(i int) string { return NodeName(i) + "-kube-router" }

// SetPolicy starts (or, with PolicyNone, stops) the NetworkPolicy
// enforcer on every node of a running cluster and records it.
func SetPolicy(ctx context.Context, st *State, policy Policy, log *slog.Logger) error {
	if err := policy.Check(); err != nil {
		return err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := st.Running(); err != nil {
		return err
	}
	var bin string
	if policy == PolicyKubeRouter {
		var err error
		if bin, err = EnsureKubeRouter(ctx, st.Config.CacheDir, DefaultKubeRouter, log); err != nil {
			return err
		}
	}
	for i := 1; i <= st.Config.Nodes; i++ {
		start := time.Now()
		if err := setNodePolicy(ctx, st, i, bin); err != nil {
			return fmt.Errorf("%s: policy enforcer %s: %w", NodeName(i), policy, err)
		}
		log.Info("policy enforcer set", "node", NodeName(i), "policy", policy, "after", time.Since(start).Round(time.Millisecond))
	}
	st.Config.Policy = policy
	return st.save()
}

// setNodePolicy stops node i's kube-router, if any, removing its rules
// and ipsets, then starts bin there; with bin "" it fails when a chain of
// kube-router's is left (a restarted kube-router takes them over).
func setNodePolicy(ctx context.Context, st *State, i int, bin string) error {
	ns, err := netns.Open(filepath.Join(netns.RunDir, nodeNSName(i)))
	if err != nil {
		return err
	}
	defer ns.Close()
	p := paths(st.Config.RunDir)
	name := kubeRouterProc(i)
	if k := slices.IndexFunc(st.Procs, func(pr Proc) bool { return pr.Name == name }); k >= 0 {
		old := st.Procs[k]
		if err := old.stop(10 * time.Second); err != nil {
			return err
		}
		st.Procs = slices.Delete(st.Procs, k, k+1)
		if err := st.save(); err != nil {
			return err
		}
		if err := kubeRouterCleanup(ctx, ns, old.Log, st.Config.CacheDir); err != nil {
			return err
		}
	}
	if bin == "" {
		return kubeRouterLeftovers(ns)
	}
	args := []string{
		"--run-firewall=true", "--run-router=false", "--run-service-proxy=false",
		"--enable-cni=false", "--enable-ipv4=true", "--enable-ipv6=false",
		"--kubeconfig=" + p.kubeconfig("admin"),
		"--hostname-override=" + NodeName(i),
		"--service-cluster-ip-range=" + ServiceNet.String(),
		"--health-port=20244", "--metrics-port=0",
		"--v=1",
	}
	pr, err := startProc(ns, p.logs(), name, bin, args, []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"})
	if err != nil {
		return err
	}
	st.Procs = append(st.Procs, pr)
	if err := st.save(); err != nil {
		return err
	}
	return poll(ctx, 60*time.Second, func() error {
		if !pr.Alive() {
			return backoffStop{fmt.Errorf("exited; see %s", pr.Log)}
		}
		_, err := httpGetIn(ns, kubeRouterHealth, "/healthz")
		return err
	})
}

// npcCleaned is what `kube-router --cleanup-config` logs once the
// firewall's rules and ipsets are gone. v2.1.0 then cleans its Service
// proxy, which panics on a kernel without IPVS: the exit status does not
// say whether the firewall's part worked, this line does.
const npcCleaned = "Successfully cleaned the NetworkPolicyController configurations"

// kubeRouterCleanup runs `kube-router --cleanup-config` in the node's
// namespace: it removes the firewall's iptables chains and ipsets.
func kubeRouterCleanup(ctx context.Context, ns *netns.NS, logPath, cacheDir string) error {
	bin := filepath.Join(cacheDir, "bin", "kube-router-"+DefaultKubeRouter, "kube-router")
	logw, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logw.Close()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--cleanup-config")
	cmd.Env = append(os.Environ(), "PATH=/usr/sbin:/usr/bin:/sbin:/bin")
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(logw, &out)
	cmd.Stderr = cmd.Stdout
	if err := netns.Do(ns, cmd.Run); err != nil && !bytes.Contains(out.Bytes(), []byte(npcCleaned)) {
		return fmt.Errorf("kube-router --cleanup-config: %w; see %s", err, logPath)
	}
	return nil
}

// kubeRouterLeftovers fails when a chain of kube-router's firewall
// (KUBE-ROUTER-*, KUBE-NWPLCY-*, KUBE-POD-FW-*) is still in the node.
func kubeRouterLeftovers(ns *netns.NS) error {
	chains, err := chainsIn(ns)
	if err != nil {
		return err
	}
	var found []string
	for _, ch := range chains {
		for _, prefix := range []string{"KUBE-ROUTER-", "KUBE-NWPLCY-", "KUBE-POD-FW-"} {
			if strings.HasPrefix(ch.Name, prefix) {
				found = append(found, ch.Table.Name+"/"+ch.Name)
			}
		}
	}
	if len(found) > 0 {
		return fmt.Errorf("kube-router's chains are left after its cleanup: %s", strings.Join(found, ", "))
	}
	return nil
}

// chainsIn lists every nftables chain of a node, iptables-nft's included.
func chainsIn(ns *netns.NS) ([]*nftables.Chain, error) {
	c, err := nftables.New(nftables.WithNetNSFd(ns.Fd()))
	if err != nil {
		return nil, err
	}
	chains, err := c.ListChains()
	if err != nil {
		return nil, fmt.Errorf("nft list chains: %w", err)
	}
	return chains, nil
}
