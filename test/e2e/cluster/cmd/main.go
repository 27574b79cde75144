// Command cmd brings the end-to-end Kubernetes cluster up and down:
//
//	go run ./test/e2e/cluster/cmd up [-cni bridge|flannel-vxlan|flannel-host-gw] [-nodes 2] [-proxy-mode iptables|nftables] [-ip-family dual|4] [-policy none|kube-router]
//	go run ./test/e2e/cluster/cmd policy -policy kube-router   (start or, with none, stop the NetworkPolicy enforcer)
//	go run ./test/e2e/cluster/cmd proxy-mode -proxy-mode nftables   (switch the running cluster's kube-proxy)
//	go run ./test/e2e/cluster/cmd status
//	go run ./test/e2e/cluster/cmd down
//	go run ./test/e2e/cluster/cmd build     (only build or find the binaries)
//	go run ./test/e2e/cluster/cmd kubectl get nodes   (the harness's kubectl, a test aid)
//
// See docs/e2e.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/cnibench/cnibench/test/e2e/cluster"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if len(os.Args) < 2 {
		usage()
	}
	if os.Args[1] == "kubectl" {
		kubectl(os.Args[2:])
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	runDir := fs.String("run-dir", cluster.DefaultRunDir, "state, sockets, logs and data of the cluster")
	cacheDir := fs.String("cache-dir", cluster.DefaultCacheDir, "built binaries, keyed by version")
	version := fs.String("version", cluster.DefaultVersion, "Kubernetes version to build")
	cni := fs.String("cni", string(cluster.Bridge), "bridge, flannel-vxlan or flannel-host-gw")
	nodes := fs.Int("nodes", cluster.DefaultNodes, "number of nodes")
	proxyMode := fs.String("proxy-mode", string(cluster.ProxyIPTables), "kube-proxy's mode: iptables or nftables (ipvs needs a kernel module this kernel lacks)")
	family := fs.String("ip-family", string(cluster.DualStack), "dual (IPv4 and IPv6 for nodes, pods and Services) or 4 (IPv4 only)")
	policy := fs.String("policy", string(cluster.PolicyNone), "NetworkPolicy enforcer: none, or kube-router "+cluster.DefaultKubeRouter+" as the firewall only (test harness only: it has reported security advisories)")
	keep := fs.Bool("keep-on-failure", false, "leave a failed cluster up for debugging (then run down)")
	away := fs.Duration("away", 10*time.Second, "restart-apiserver: how long the API server stays stopped")
	kill := fs.Bool("kill", false, "restart-apiserver: SIGKILL it (a crash: requests in flight are cut), not SIGTERM")
	_ = fs.Parse(os.Args[2:])
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := cluster.Config{RunDir: *runDir, CacheDir: *cacheDir, Version: *version, CNI: cluster.CNI(*cni), Nodes: *nodes, ProxyMode: cluster.ProxyMode(*proxyMode), IPFamily: cluster.IPFamily(*family), Policy: cluster.Policy(*policy), Logger: log}

	var err error
	switch os.Args[1] {
	case "up":
		var st *cluster.State
		st, err = cluster.Up(ctx, cfg)
		if err != nil && st != nil && !*keep {
			tails(*runDir)
			if derr := cluster.Down(*runDir, log); derr != nil {
				err = errors.Join(err, fmt.Errorf("down after failed up: %w", derr))
			}
		}
		if err == nil {
			fmt.Printf("export KUBECONFIG=%s\n", st.Kubeconfig)
		}
	case "down":
		err = cluster.Down(*runDir, log)
	case "proxy-mode":
		var st *cluster.State
		if st, err = cluster.ReadState(*runDir); err == nil {
			err = cluster.SetProxyMode(ctx, st, cluster.ProxyMode(*proxyMode), log)
		}
	case "policy":
		var st *cluster.State
		if st, err = cluster.ReadState(*runDir); err == nil {
			err = cluster.SetPolicy(ctx, st, cluster.Policy(*policy), log)
		}
	case "status":
		err = status(*runDir)
	case "build":
		var dir string
		dir, err = cluster.EnsureKubernetes(ctx, *cacheDir, *version, log)
		if err == nil && cluster.CNI(*cni) != cluster.Bridge {
			_, err = cluster.EnsureFlannel(ctx, *cacheDir, cluster.DefaultFlannel, log)
		}
		if err == nil && cluster.Policy(*policy) == cluster.PolicyKubeRouter {
			_, err = cluster.EnsureKubeRouter(ctx, *cacheDir, cluster.DefaultKubeRouter, log)
		}
		if err == nil {
			fmt.Println(dir)
		}
	case "logs":
		tails(*runDir)
	case "restart-apiserver":
		err = cluster.RestartAPIServer(ctx, *runDir, *away, *kill, log)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// kubectl runs the harness's own kubectl (never the machine's) against the
// cluster in the default run directory: a test aid.
func kubectl(args []string) {
	st, err := cluster.ReadState(cluster.DefaultRunDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error: no e2e cluster:", err)
		os.Exit(1)
	}
	cmd := exec.Command(filepath.Join(st.BinDir, "kubectl"), append([]string{"--kubeconfig", st.Kubeconfig}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			os.Exit(ee.ExitCode())
		}
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: cmd up|down|status|proxy-mode|policy|build|logs|restart-apiserver|kubectl [flags]")
	os.Exit(2)
}

func status(dir string) error {
	st, err := cluster.ReadState(dir)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Println("no cluster in", dir)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Printf("cluster: %s, cni %s, %d nodes, kubernetes %s\nkubeconfig: %s\n", st.Phase, st.Config.CNI, st.Config.Nodes, st.Config.Version, st.Kubeconfig)
	for _, p := range st.Procs {
		state := "running"
		if !p.Alive() {
			state = "NOT RUNNING"
		}
		fmt.Printf("  %-28s pid %-8d %s\n", p.Name, p.PID, state)
	}
	var steps []string
	for k := range st.Timings {
		steps = append(steps, k)
	}
	at := func(k string) time.Duration { d, _ := time.ParseDuration(st.Timings[k]); return d }
	sort.Slice(steps, func(i, j int) bool { return at(steps[i]) < at(steps[j]) })
	for _, k := range steps {
		fmt.Printf("  at %-10s %s\n", st.Timings[k], k)
	}
	return st.Running()
}

// tails prints the end of each daemon's log, for a failed up.
func tails(dir string) {
	logs, _ := filepath.Glob(filepath.Join(dir, "logs", "*.log"))
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil {
			continue
		}
		if len(b) > 3000 {
			b = b[len(b)-3000:]
		}
		fmt.Fprintf(os.Stderr, "==> %s <==\n%s\n", l, b)
	}
}
