package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/netns"
)

// Down removes the cluster recorded in run directory dir and everything it
// created: its daemons (by recorded PID), the pods' processes and the
// containerd shims, mounts, network namespaces, cgroups, the nftables guard
// and routes, the fixed host paths that did not exist before, changed
// sysctls, and finally the run directory. It works on a half-built cluster
// and on nothing at all; running it twice is fine.
func Down(dir string, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := ReadState(dir)
	if errors.Is(err, os.ErrNotExist) {
		// Nothing recorded: still sweep what only we name (a crash before
		// the first save, or a run directory removed by hand).
		st = &State{Config: Config{RunDir: dir, Nodes: MaxNodes}.WithDefaults()}
	} else if err != nil {
		return err
	}
	p := paths(dir)
	var errs []error
	add := func(what string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
	}
	t0 := time.Now()

	// The shims' sockets are named after sandbox IDs that containerd
	// forgets once the shims are gone: list them first.
	var sockets []string
	for i := 1; i <= st.Config.Nodes; i++ {
		sockets = append(sockets, shimSockets(p, i)...)
	}

	// 1. Node agents first so nothing restarts what we stop, then the
	// pods' processes (our cgroups hold only them), the shims, containerd,
	// and the control plane last.
	order := func(p Proc) int {
		switch {
		case strings.HasSuffix(p.Name, "-kubelet"), strings.HasSuffix(p.Name, "-kube-proxy"), strings.HasSuffix(p.Name, "-flannel"):
			return 0
		case strings.HasSuffix(p.Name, "-containerd"):
			return 2
		case p.Name == "etcd":
			return 4
		}
		return 3
	}
	for stage := 0; stage <= 4; stage++ {
		if stage == 1 {
			for _, pid := range cgroupPIDs() {
				if _, start, err := procStat(pid); err == nil {
					add("pod process", killPID(pid, start, "pod process"))
				}
			}
			for i := 1; i <= st.Config.Nodes; i++ {
				for _, s := range shimsOf(p.containerdSock(i)) {
					add("containerd shim", killPID(s.PID, s.Start, s.Name))
				}
			}
			continue
		}
		for k := len(st.Procs) - 1; k >= 0; k-- {
			if pr := st.Procs[k]; order(pr) == stage {
				add(pr.Name, pr.stop(10*time.Second))
			}
		}
	}
	// Stragglers: a daemon started but not yet recorded when Up died. Ours
	// are the cluster's binaries whose command line names the run directory.
	for _, pid := range processesNaming(dir) {
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && ourBinary(exe) {
			if _, start, err := procStat(pid); err == nil {
				add("straggler", killPID(pid, start, filepath.Base(exe)))
			}
		}
	}
	log.Info("e2e cluster down", "step", "processes", "at", time.Since(t0).Round(10*time.Millisecond))

	// 2. Sysctls: every recorded value back.
	if st.Sysctls != nil {
		_, err := restoreSysctls(st.Sysctls)
		add("sysctls", err)
	}

	// 3. Mounts under the run directory (kubelet's volumes and its rshared
	// root, containerd's rootfs and shm, pod network namespaces).
	add("mounts", unmountAll(dir))

	// 4. Network namespaces (their links, routes and rules go with them),
	// then the host's guard table and routes.
	add("host network", removeHostNetwork())
	names, err := netns.ListNamed(namePrefix + "-")
	add("list namespaces", err)
	for _, n := range names {
		add("namespace "+n, netns.DeleteNamed(n))
	}

	// 5. Cgroups.
	add("cgroups", removeCgroups())

	// 6. Fixed host paths that kubelet, containerd and libcni create.
	add("host paths", removeHostPaths(st, dir, sockets))

	// 7. The run directory.
	if len(errs) == 0 {
		add("run directory", os.RemoveAll(dir))
	}
	log.Info("e2e cluster down", "step", "done", "at", time.Since(t0).Round(10*time.Millisecond))
	return errors.Join(errs...)
}

// ourBinary reports whether exe is one of the daemons the harness runs.
func ourBinary(exe string) bool {
	b := filepath.Base(exe)
	switch {
	case b == "etcd", b == "containerd", b == "flannel", strings.HasPrefix(b, "containerd-shim"):
		return true
	}
	for _, c := range Components {
		if b == c {
			return true
		}
	}
	return false
}

// removeHostPaths removes the fixed host paths that did not exist before
// Up, and our entries in those that did.
func removeHostPaths(st *State, dir string, sockets []string) error {
	var errs []error
	for _, hp := range hostPaths {
		existed, known := st.HostPaths[hp]
		if !known {
			// No record (crash before the first save): leave it.
			continue
		}
		if !existed {
			if err := os.RemoveAll(hp); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		switch hp {
		case "/var/log/containers":
			ents, _ := os.ReadDir(hp)
			for _, e := range ents {
				l := filepath.Join(hp, e.Name())
				if t, err := os.Readlink(l); err == nil && strings.HasPrefix(t, dir+"/") {
					errs = append(errs, ignoreNotExist(os.Remove(l)))
				}
			}
		case "/run/containerd":
			// containerd 1.6 puts shim sockets at /run/containerd/s/HASH
			// whatever its state directory; a killed shim leaves its own.
			for _, s := range sockets {
				errs = append(errs, ignoreNotExist(os.Remove(s)))
			}
		case "/var/lib/cni":
			// libcni's cache: NETWORK-CONTAINERID-IFNAME for our network, and
			// the loopback entries of the same sandboxes.
			m, _ := filepath.Glob(filepath.Join(hp, "results", cniNetwork+"-*"))
			for _, f := range m {
				id := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), cniNetwork+"-"), "-eth0")
				errs = append(errs, ignoreNotExist(os.Remove(f)),
					ignoreNotExist(os.Remove(filepath.Join(hp, "results", "cni-loopback-"+id+"-lo"))))
			}
		}
	}
	return errors.Join(errs...)
}

// shimSockets are the socket paths of node i's shims: containerd 1.6
// names them sha256(ADDRESS/NAMESPACE/ID) (runtime/v2/shim.SocketAddress),
// one per sandbox, whose IDs are the task directories in its state.
func shimSockets(p paths, i int) []string {
	sock := p.containerdSock(i)
	ents, _ := os.ReadDir(filepath.Join(p.node(i), "containerd", "state", "io.containerd.runtime.v2.task", "k8s.io"))
	var out []string
	for _, e := range ents {
		h := sha256.Sum256([]byte(filepath.Join(sock, "k8s.io", e.Name())))
		out = append(out, filepath.Join("/run/containerd/s", hex.EncodeToString(h[:])))
	}
	return out
}

func ignoreNotExist(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
