package cluster

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// hostSysctls are the host-wide keys kubelet rewrites when it starts
// (kubelet's setupKernelTunables). They are not per network namespace: the
// harness records them first, puts them back right after each kubelet has
// started (kernel.panic=10 would reboot the machine on a panic) and at
// teardown.
var hostSysctls = []string{
	"vm.overcommit_memory",
	"vm.panic_on_oom",
	"kernel.panic",
	"kernel.panic_on_oops",
	"kernel.keys.root_maxkeys",
	"kernel.keys.root_maxbytes",
}

func sysctlPath(key string) string {
	return filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/"))
}

func readSysctls(keys []string) (map[string]string, error) {
	out := map[string]string{}
	for _, k := range keys {
		b, err := os.ReadFile(sysctlPath(k))
		if err != nil {
			return nil, fmt.Errorf("sysctl %s: %w", k, err)
		}
		out[k] = strings.TrimSpace(string(b))
	}
	return out, nil
}

// restoreSysctls writes back every recorded value that differs now; it
// returns the keys it had to restore.
func restoreSysctls(saved map[string]string) ([]string, error) {
	var changed []string
	var errs []error
	keys := make([]string, 0, len(saved))
	for k := range saved {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b, err := os.ReadFile(sysctlPath(k))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if strings.TrimSpace(string(b)) == saved[k] {
			continue
		}
		if err := os.WriteFile(sysctlPath(k), []byte(saved[k]), 0); err != nil {
			errs = append(errs, fmt.Errorf("restore sysctl %s=%s: %w", k, saved[k], err))
			continue
		}
		changed = append(changed, k)
	}
	return changed, errors.Join(errs...)
}

// guardSysctls watches the host sysctls for a while after a kubelet starts
// and puts them back as soon as it changes them (about 0.6 s after start).
func guardSysctls(saved map[string]string, d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		_, _ = restoreSysctls(saved)
		time.Sleep(50 * time.Millisecond)
	}
}

// hostPaths are fixed host paths that kubelet, containerd or the CNI
// library create whatever their configured roots: the harness records which
// existed before Up and removes the others at teardown.
var hostPaths = []string{
	"/var/lib/kubelet",    // device-plugins socket (path fixed in kubelet)
	"/var/log/pods",       // kubelet's default pod log dir (configured away, kept for safety)
	"/var/log/containers", // kubelet's container log symlinks (path fixed)
	"/var/lib/cni",        // libcni's result cache, used by containerd's CRI
	"/var/lib/cni/results",
	"/run/containerd", // shim sockets: /run/containerd/s (path fixed in containerd 1.6)
	"/run/containerd/s",
	"/opt/containerd", // containerd's opt plugin (configured away, kept for safety)
	"/usr/libexec/kubernetes",
	"/var/run/kubernetes",
	"/run/flannel",
	"/etc/kube-flannel",
}

func existing(paths []string) map[string]bool {
	out := map[string]bool{}
	for _, p := range paths {
		_, err := os.Lstat(p)
		out[p] = err == nil
	}
	return out
}

// mount is one line of /proc/self/mountinfo: where, and of what type.
type mount struct {
	point  string // unescaped
	fsType string // "" when the line has no " - " separator
}

// mounts lists this process's mounts in mountinfo order (oldest first).
func mounts() ([]mount, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []mount
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		fields := strings.Fields(l)
		if len(fields) < 5 {
			continue
		}
		m := mount{point: unescapeMount(fields[4])}
		if _, post, ok := strings.Cut(l, " - "); ok {
			if pf := strings.Fields(post); len(pf) > 0 {
				m.fsType = pf[0]
			}
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

// mountsUnder lists the mount points at or under dir, most recent first,
// which is the order to unmount them in.
func mountsUnder(dir string) ([]string, error) {
	all, err := mounts()
	var out []string
	for i := len(all) - 1; i >= 0; i-- {
		if mp := all[i].point; mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	return out, err
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v int
			if _, err := fmt.Sscanf(s[i+1:i+4], "%o", &v); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unmountAll lazily unmounts every mount at or under dir.
func unmountAll(dir string) error {
	var errs []error
	for round := 0; round < 5; round++ {
		mps, err := mountsUnder(dir)
		if err != nil {
			return err
		}
		if len(mps) == 0 {
			return nil
		}
		errs = nil
		for _, mp := range mps {
			if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
				errs = append(errs, fmt.Errorf("umount %s: %w", mp, err))
			}
		}
	}
	if mps, _ := mountsUnder(dir); len(mps) > 0 {
		errs = append(errs, fmt.Errorf("still mounted under %s: %v", dir, mps))
	}
	return errors.Join(errs...)
}

// cgroupRoots are the cgroup v1 hierarchies mounted under /sys/fs/cgroup
// (and the v2 one, if any): each gets the harness's cgroup.
func cgroupRoots() ([]string, error) {
	all, err := mounts()
	var out []string
	for _, m := range all {
		if m.fsType == "cgroup" && strings.HasPrefix(m.point, "/sys/fs/cgroup/") {
			out = append(out, m.point)
		}
	}
	sort.Strings(out)
	return out, err
}

// makeCgroups creates /NAME/node-i in every v1 hierarchy, where node i's
// kubelet puts its pods (cgroupRoot): two kubelets on one machine must not
// share /kubepods. cpuset needs cpus and mems filled in before use.
func makeCgroups(nodes int) error {
	roots, err := cgroupRoots()
	if err != nil {
		return err
	}
	for _, r := range roots {
		for i := 1; i <= nodes; i++ {
			dir := filepath.Join(r, nodeCgroup(i))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("create cgroup %s: %w", dir, err)
			}
		}
		if filepath.Base(r) != "cpuset" {
			continue
		}
		dirs := []string{filepath.Join(r, cgroupName)}
		for i := 1; i <= nodes; i++ {
			dirs = append(dirs, filepath.Join(r, nodeCgroup(i)))
		}
		for _, d := range dirs { // parents first
			for _, k := range []string{"cpuset.cpus", "cpuset.mems"} {
				v, err := os.ReadFile(filepath.Join(filepath.Dir(d), k))
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(d, k), v, 0); err != nil {
					return fmt.Errorf("cgroup %s/%s: %w", d, k, err)
				}
			}
		}
	}
	return nil
}

// cgroupPIDs lists the processes in the harness's cgroups (pods' processes:
// every one of them was started for this cluster).
func cgroupPIDs() []int {
	roots, _ := cgroupRoots()
	seen := map[int]bool{}
	var out []int
	for _, r := range roots {
		_ = filepath.WalkDir(filepath.Join(r, cgroupName), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
				return nil
			}
			b, _ := os.ReadFile(p)
			for _, f := range strings.Fields(string(b)) {
				var pid int
				if _, err := fmt.Sscan(f, &pid); err == nil && !seen[pid] {
					seen[pid] = true
					out = append(out, pid)
				}
			}
			return nil
		})
	}
	return out
}

// removeCgroups removes the harness's cgroup trees, deepest first.
func removeCgroups() error {
	roots, err := cgroupRoots()
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range roots {
		top := filepath.Join(r, cgroupName)
		var dirs []string
		_ = filepath.WalkDir(top, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
		for _, d := range dirs {
			var err error
			for try := 0; try < 50; try++ {
				if err = unix.Rmdir(d); err == nil || errors.Is(err, unix.ENOENT) {
					err = nil
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("rmdir %s: %w", d, err))
			}
		}
	}
	return errors.Join(errs...)
}

// leftoverCgroups lists the harness's cgroup directories that exist.
func leftoverCgroups() []string {
	roots, _ := cgroupRoots()
	var out []string
	for _, r := range roots {
		if _, err := os.Stat(filepath.Join(r, cgroupName)); err == nil {
			out = append(out, filepath.Join(r, cgroupName))
		}
	}
	return out
}
