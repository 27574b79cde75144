package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/cnibench/cnibench/test/e2e/cluster/envfile"

	"github.com/cnibench/cnibench/internal/netns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// ErrExists is returned by Up when a cluster is already recorded in the
// run directory.
var ErrExists = errors.New("a cluster is already recorded in the run directory")

// Up builds a cluster from cfg and returns its state once every node is
// Ready. On failure it leaves what it made recorded in the run directory:
// call Down (Up's callers do) to remove it.
func Up(ctx context.Context, cfg Config) (*State, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("the e2e cluster needs root (namespaces, cgroups, mounts)")
	}
	if _, err := os.Stat(paths(cfg.RunDir).state()); err == nil {
		return nil, fmt.Errorf("%w (%s): reuse it or run down first", ErrExists, cfg.RunDir)
	}
	if cfg.ModuleDir == "" {
		d, err := FindModuleDir()
		if err != nil {
			return nil, err
		}
		cfg.ModuleDir = d
	}
	u := &upper{cfg: cfg, p: paths(cfg.RunDir), log: cfg.Logger, t0: time.Now()}
	u.st = &State{Config: cfg, Phase: PhaseStarting, Created: time.Now().UTC(), Timings: map[string]string{},
		Kubeconfig: Admin(cfg.RunDir)}
	// Build (or find) the binaries before touching the host: an
	// interrupted build leaves nothing to tear down.
	bin, err := EnsureKubernetes(ctx, cfg.CacheDir, cfg.Version, u.log)
	if err != nil {
		return nil, err
	}
	u.st.BinDir = bin
	u.mark("binaries")
	if cfg.CNI.Flannel() {
		if u.flannel, err = EnsureFlannel(ctx, cfg.CacheDir, cfg.Flannel, u.log); err != nil {
			return nil, err
		}
		u.mark("flannel binary")
	}
	if cfg.Policy == PolicyKubeRouter {
		if _, err := EnsureKubeRouter(ctx, cfg.CacheDir, DefaultKubeRouter, u.log); err != nil {
			return nil, err
		}
	}
	err = u.up(ctx)
	for _, ns := range u.nodes {
		ns.Close()
	}
	if err == nil && cfg.Policy != PolicyNone {
		err = SetPolicy(ctx, u.st, cfg.Policy, u.log)
	}
	if err != nil {
		return u.st, fmt.Errorf("cluster up: %w", err)
	}
	return u.st, nil
}

type upper struct {
	cfg     Config
	p       paths
	st      *State
	log     *slog.Logger
	t0      time.Time
	flannel string
	nodes   []*netns.NS
	client  *kubernetes.Clientset
}

// mark records how long the cluster took to reach a step.
func (u *upper) mark(step string) {
	d := time.Since(u.t0).Round(10 * time.Millisecond)
	u.st.Timings[step] = d.String()
	u.log.Info("e2e cluster", "step", step, "at", d)
}

func (u *upper) bin(name string) string { return filepath.Join(u.st.BinDir, name) }

func (u *upper) start(ns *netns.NS, name, bin string, args []string, env ...string) error {
	p, err := startProc(ns, u.p.logs(), name, bin, args, env)
	if err != nil {
		return err
	}
	u.st.Procs = append(u.st.Procs, p)
	return u.st.save()
}

func (u *upper) up(ctx context.Context) error {
	for _, d := range []string{u.p.logs(), u.p.join("bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	sys, err := readSysctls(hostSysctls)
	if err != nil {
		return err
	}
	u.st.Sysctls = sys
	u.st.HostPaths = existing(hostPaths)
	if err := u.st.save(); err != nil {
		return err
	}
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"images", u.images},
		{"pki", u.pki},
		{"network", u.network},
		{"etcd", u.etcd},
		{"apiserver ready", u.apiserver},
		{"controllers", u.controllers},
		{"nodes started", u.startNodes},
		{"nodes ready", u.nodesReady},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		u.mark(s.name)
	}
	u.st.Phase = PhaseUp
	u.st.UpAt = time.Now().UTC()
	return u.st.save()
}

// images builds the test agent and writes the pause and agent images.
func (u *upper) images(ctx context.Context) error {
	agent := u.p.join("bin", "agent")
	if err := BuildAgent(ctx, u.cfg.ModuleDir, agent); err != nil {
		return err
	}
	if err := writeImages(agent, u.p.join("bin", "pause.tar"), u.p.join("bin", "agent.tar")); err != nil {
		return err
	}
	if u.cfg.CNI.Flannel() {
		if err := writeFlannelImage(u.p.join("bin", "flannel.tar"), u.flannel); err != nil {
			return err
		}
	}
	// The CNI plugins: Debian's, and our stand-in for flannel's.
	cniBin := u.p.join("bin", "cni")
	if err := os.MkdirAll(cniBin, 0o755); err != nil {
		return err
	}
	plugins, err := filepath.Glob("/usr/lib/cni/*")
	if err != nil || len(plugins) == 0 {
		return fmt.Errorf("no CNI plugins in /usr/lib/cni (apt-get install containernetworking-plugins)")
	}
	for _, p := range plugins {
		if err := os.Symlink(p, filepath.Join(cniBin, filepath.Base(p))); err != nil {
			return err
		}
	}
	return buildOwn(ctx, u.cfg.ModuleDir, "./test/e2e/cluster/flannelcni", filepath.Join(cniBin, "flannel"))
}

// pki writes the CA, every certificate and the kubeconfigs.
func (u *upper) pki(context.Context) error {
	pk, err := newPKI(u.p.pki())
	if err != nil {
		return err
	}
	specs := []certSpec{
		{name: "apiserver", cn: "kube-apiserver", server: true,
			ips: []net.IP{ControlPlaneIP.AsSlice(), KubernetesServiceIP.AsSlice(), net.IPv4(127, 0, 0, 1)},
			dns: []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "localhost"}},
		{name: "apiserver-kubelet-client", cn: "kube-apiserver-kubelet-client", orgs: []string{"system:masters"}},
		{name: "admin", cn: "cnibench-e2e-admin", orgs: []string{"system:masters"}},
		{name: "controller-manager", cn: "system:kube-controller-manager"},
		{name: "scheduler", cn: "system:kube-scheduler"},
		{name: "kube-proxy", cn: "system:kube-proxy"},
	}
	for i := 1; i <= u.cfg.Nodes; i++ {
		specs = append(specs, certSpec{name: NodeName(i), cn: "system:node:" + NodeName(i), orgs: []string{"system:nodes"}})
	}
	for _, s := range specs {
		if err := pk.issue(s); err != nil {
			return err
		}
	}
	if err := pk.serviceAccountKey(); err != nil {
		return err
	}
	server := fmt.Sprintf("https://%s", net.JoinHostPort(ControlPlaneIP.String(), strconv.Itoa(APIServerPort)))
	for _, s := range specs {
		if s.name == "apiserver" || s.name == "apiserver-kubelet-client" {
			continue
		}
		if err := pk.kubeconfig(u.p.kubeconfig(s.name), s.name, server); err != nil {
			return err
		}
	}
	// Pods get an empty resolv.conf: no name server, no lookups leaving.
	return os.WriteFile(u.p.join("resolv.conf"), []byte("# cnibench e2e: no DNS\n"), 0o644)
}

func (u *upper) network(ctx context.Context) error {
	var err error
	u.nodes, err = buildNetwork(ctx, u.st)
	if err != nil {
		return err
	}
	u.st.Cgroups = true
	if err := u.st.save(); err != nil {
		return err
	}
	return makeCgroups(u.cfg.Nodes)
}

func (u *upper) etcd(ctx context.Context) error {
	cp := ControlPlaneIP.String()
	client := fmt.Sprintf("http://%s:%d", cp, EtcdClientPort)
	peer := fmt.Sprintf("http://%s:%d", cp, EtcdPeerPort)
	args := []string{
		"--name=e2e", "--data-dir=" + u.p.join("etcd"),
		"--listen-client-urls=" + client, "--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=e2e=" + peer, "--initial-cluster-state=new",
		"--unsafe-no-fsync", "--logger=zap", "--log-outputs=stderr",
	}
	if err := u.start(nil, "etcd", "/usr/bin/etcd", args); err != nil {
		return err
	}
	return waitTCP(ctx, netip.AddrPortFrom(ControlPlaneIP, EtcdClientPort), 30*time.Second)
}

func (u *upper) apiserver(ctx context.Context) error {
	pk := func(n string) string { return filepath.Join(u.p.pki(), n) }
	args := []string{
		fmt.Sprintf("--etcd-servers=http://%s:%d", ControlPlaneIP, EtcdClientPort),
		"--bind-address=" + ControlPlaneIP.String(), "--advertise-address=" + ControlPlaneIP.String(),
		fmt.Sprintf("--secure-port=%d", APIServerPort),
		"--cert-dir=" + u.p.join("apiserver"),
		"--tls-cert-file=" + pk("apiserver.crt"), "--tls-private-key-file=" + pk("apiserver.key"),
		"--client-ca-file=" + pk("ca.crt"),
		"--kubelet-client-certificate=" + pk("apiserver-kubelet-client.crt"),
		"--kubelet-client-key=" + pk("apiserver-kubelet-client.key"),
		// Without it the apiserver resolves node hostnames through the
		// machine's resolver for logs and exec: lookups that leave.
		"--kubelet-preferred-address-types=InternalIP",
		"--service-account-key-file=" + pk("sa.pub"),
		"--service-account-signing-key-file=" + pk("sa.key"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=" + u.cfg.families(ServiceNet, ServiceNet6),
		"--service-node-port-range=30000-32767",
		"--authorization-mode=Node,RBAC",
		"--allow-privileged=true",
		"--profiling=false",
		"--v=1",
	}
	if err := u.start(nil, "kube-apiserver", u.bin("kube-apiserver"), args); err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", u.st.Kubeconfig)
	if err != nil {
		return err
	}
	u.client, err = kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	return poll(ctx, 60*time.Second, func() error {
		if err := u.alive("kube-apiserver"); err != nil {
			return backoffStop{err}
		}
		_, err := u.client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err
	})
}

func (u *upper) controllers(context.Context) error {
	pk := func(n string) string { return filepath.Join(u.p.pki(), n) }
	cm := []string{
		"--kubeconfig=" + u.p.kubeconfig("controller-manager"),
		"--authentication-kubeconfig=" + u.p.kubeconfig("controller-manager"),
		"--authorization-kubeconfig=" + u.p.kubeconfig("controller-manager"),
		"--secure-port=0", "--leader-elect=false",
		"--use-service-account-credentials=true",
		"--service-account-private-key-file=" + pk("sa.key"),
		"--root-ca-file=" + pk("ca.crt"),
		"--cluster-signing-cert-file=" + pk("ca.crt"), "--cluster-signing-key-file=" + pk("ca.key"),
		"--service-cluster-ip-range=" + u.cfg.families(ServiceNet, ServiceNet6),
		"--cluster-cidr=" + u.cfg.families(PodNet, PodNet6),
		"--node-cidr-mask-size-ipv4=24",
		"--allocate-node-cidrs=" + strconv.FormatBool(u.cfg.CNI.Flannel()),
		"--flex-volume-plugin-dir=" + u.p.join("controller-manager", "flexvolume"),
		"--node-monitor-grace-period=20s",
		"--v=1",
	}
	if u.cfg.IPFamily.Dual() { // refused by a single-stack IPv4 cluster
		cm = append(cm, "--node-cidr-mask-size-ipv6="+strconv.Itoa(NodePodCIDR6Bits))
	}
	if err := u.start(nil, "kube-controller-manager", u.bin("kube-controller-manager"), cm); err != nil {
		return err
	}
	sched := []string{
		"--kubeconfig=" + u.p.kubeconfig("scheduler"),
		"--authentication-kubeconfig=" + u.p.kubeconfig("scheduler"),
		"--authorization-kubeconfig=" + u.p.kubeconfig("scheduler"),
		"--secure-port=0", "--leader-elect=false", "--v=1",
	}
	return u.start(nil, "kube-scheduler", u.bin("kube-scheduler"), sched)
}

// startNodes starts, on each node, containerd, imports the images, writes
// the CNI configuration (bridge mode) and starts kubelet and kube-proxy
// (and, in the flannel modes, kube-flannel once every kubelet runs).
func (u *upper) startNodes(ctx context.Context) error {
	for i := 1; i <= u.cfg.Nodes; i++ {
		if err := u.startNode(ctx, i, u.nodes[i-1]); err != nil {
			return fmt.Errorf("%s: %w", NodeName(i), err)
		}
	}
	if u.cfg.CNI.Flannel() {
		backend := "vxlan"
		if u.cfg.CNI == FlannelHostGW {
			backend = "host-gw"
		}
		if err := deployFlannel(ctx, u.client, u.p, backend, u.cfg.IPFamily.Dual()); err != nil {
			return err
		}
		for i := 1; i <= u.cfg.Nodes; i++ {
			if err := u.flannelCNI(ctx, i); err != nil {
				return fmt.Errorf("%s: %w", NodeName(i), err)
			}
		}
	}
	return nil
}

func (u *upper) startNode(ctx context.Context, i int, ns *netns.NS) error {
	name := NodeName(i)
	dir := u.p.node(i)
	cniConf := filepath.Join(dir, "cni", "net.d")
	for _, d := range []string{filepath.Join(dir, "containerd"), cniConf, filepath.Join(dir, "kubelet")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	sock := u.p.containerdSock(i)
	ccfg := filepath.Join(dir, "containerd", "config.toml")
	if err := os.WriteFile(ccfg, []byte(containerdConfig(filepath.Join(dir, "containerd"), sock, u.p.join("bin", "cni"), cniConf)), 0o644); err != nil {
		return err
	}
	if err := u.start(ns, name+"-containerd", "/usr/bin/containerd", []string{"--config", ccfg}); err != nil {
		return err
	}
	if err := waitSocket(ctx, sock, 30*time.Second); err != nil {
		return fmt.Errorf("containerd: %w", err)
	}
	images := []string{"pause.tar", "agent.tar"}
	if u.cfg.CNI.Flannel() {
		images = append(images, "flannel.tar")
	}
	for _, img := range images {
		cmd := exec.CommandContext(ctx, "ctr", "-a", sock, "-n", "k8s.io", "images", "import", u.p.join("bin", img))
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("ctr images import %s: %w: %s", img, err, b)
		}
	}
	if u.cfg.CNI == Bridge {
		subnets := []netip.Prefix{NodePodCIDR(i)}
		if u.cfg.IPFamily.Dual() {
			subnets = append(subnets, NodePodCIDR6(i))
		}
		b, err := bridgeCNIConfig(subnets, 1500, filepath.Join(dir, "cni", "ipam"))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(cniConf, "10-cnibench-e2e.conflist"), b, 0o644); err != nil {
			return err
		}
		u.st.PodCIDRs = setKey(u.st.PodCIDRs, name, NodePodCIDR(i).String())
	}
	kcfg := filepath.Join(dir, "kubelet", "config.yaml")
	if err := os.WriteFile(kcfg, []byte(kubeletConfig(u.p, i)), 0o644); err != nil {
		return err
	}
	kargs := []string{
		"--config=" + kcfg,
		"--kubeconfig=" + u.p.kubeconfig(name),
		"--root-dir=" + filepath.Join(dir, "kubelet", "root"),
		// The cert dir defaults to /var/lib/kubelet/pki whatever the root dir.
		"--cert-dir=" + filepath.Join(dir, "kubelet", "pki"),
		"--hostname-override=" + name,
		"--node-ip=" + u.cfg.families(NodeIP(i), NodeIP6(i)),
		"--v=1",
	}
	if err := u.start(ns, name+"-kubelet", u.bin("kubelet"), kargs); err != nil {
		return err
	}
	// kubelet rewrites host-wide sysctls about 0.6 s after it starts: put
	// them back as soon as it does.
	go guardSysctls(u.st.Sysctls, 5*time.Second)
	u.mark(name + " kubelet started")
	pcfg := filepath.Join(dir, "kube-proxy.yaml")
	if err := os.WriteFile(pcfg, []byte(kubeProxyConfig(u.p, i, u.cfg)), 0o644); err != nil {
		return err
	}
	if err := u.start(ns, name+"-kube-proxy", u.bin("kube-proxy"), []string{"--config=" + pcfg, "--v=1"}); err != nil {
		return err
	}
	return nil
}

// flannelCNI waits for flanneld's subnet file on node i, then writes
// kube-flannel's CNI configuration (type flannel, our stand-in for
// flannel's plugin, which delegates to bridge with host-local over the
// node's flannel subnet and flannel's MTU).
func (u *upper) flannelCNI(ctx context.Context, i int) error {
	dir := u.p.node(i)
	file := u.p.flannelSubnetFile(i)
	var env map[string]string
	err := poll(ctx, 120*time.Second, func() error {
		var err error
		env, err = envfile.Read(file)
		if err == nil && (env["FLANNEL_SUBNET"] == "" || env["FLANNEL_MTU"] == "" ||
			u.cfg.IPFamily.Dual() && env["FLANNEL_IPV6_SUBNET"] == "") {
			err = fmt.Errorf("%s incomplete", file)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("flannel subnet: %w", err)
	}
	gw, err := netip.ParsePrefix(env["FLANNEL_SUBNET"]) // 198.19.K.1/24
	if err != nil {
		return err
	}
	b, err := flannelCNIConfig(file, filepath.Join(dir, "cni", "flannel"), filepath.Join(dir, "cni", "ipam"))
	if err != nil {
		return err
	}
	u.st.PodCIDRs = setKey(u.st.PodCIDRs, NodeName(i), gw.Masked().String())
	return os.WriteFile(filepath.Join(dir, "cni", "net.d", "10-flannel.conflist"), b, 0o644)
}

// nodesReady waits until every node is Ready, then lets the host reach
// each node's pods.
func (u *upper) nodesReady(ctx context.Context) error {
	err := poll(ctx, 120*time.Second, func() error {
		for _, p := range u.st.Procs {
			if !p.Alive() {
				return backoffStop{fmt.Errorf("%s exited; see %s", p.Name, p.Log)}
			}
		}
		nodes, err := u.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		ready := 0
		for _, n := range nodes.Items {
			for _, c := range n.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					ready++
					if _, seen := u.st.Timings[n.Name+" ready"]; !seen {
						u.mark(n.Name + " ready")
					}
				}
			}
		}
		if ready < u.cfg.Nodes {
			return fmt.Errorf("%d of %d nodes ready", ready, u.cfg.Nodes)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := 1; i <= u.cfg.Nodes; i++ {
		cidr, err := netip.ParsePrefix(u.st.PodCIDRs[NodeName(i)])
		if err != nil {
			return fmt.Errorf("%s pod CIDR: %w", NodeName(i), err)
		}
		u.st.HostRoutes = append(u.st.HostRoutes, fmt.Sprintf("%s via %s", cidr, NodeIP(i)))
		if err := routeToPods(i, cidr); err != nil {
			return err
		}
	}
	// Belt and braces: any late kubelet write is undone here too.
	_, err = restoreSysctls(u.st.Sysctls)
	return err
}

func (u *upper) alive(name string) error {
	for _, p := range u.st.Procs {
		if p.Name == name && !p.Alive() {
			return fmt.Errorf("%s exited; see %s", name, p.Log)
		}
	}
	return nil
}

func setKey(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// backoffStop ends a poll at once with its error.
type backoffStop struct{ err error }

func (b backoffStop) Error() string { return b.err.Error() }

// poll calls fn until it succeeds, returns backoffStop, or timeout passes.
func poll(parent context.Context, timeout time.Duration, fn func() error) error {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	for {
		err := fn()
		if err == nil {
			return nil
		}
		var stop backoffStop
		if errors.As(err, &stop) {
			return stop.err
		}
		select {
		case <-ctx.Done():
			if perr := parent.Err(); perr != nil {
				return fmt.Errorf("%w (last: %v)", perr, err)
			}
			return fmt.Errorf("after %v: %w", timeout, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func waitTCP(ctx context.Context, ap netip.AddrPort, timeout time.Duration) error {
	return poll(ctx, timeout, func() error {
		c, err := net.DialTimeout("tcp", ap.String(), time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
}

func waitSocket(ctx context.Context, path string, timeout time.Duration) error {
	return poll(ctx, timeout, func() error {
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
}
