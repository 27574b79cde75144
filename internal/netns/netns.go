// Package netns creates, enters and removes Linux network namespaces: one Do
// helper runs code inside a namespace on a locked OS thread (like
// containernetworking/plugins' ns.Do), and Network opens engine sockets
// inside a namespace.
package netns

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// NS is an open network namespace. An anonymous namespace lives as long as
// its NS is open (or a socket or process still uses it); a named one also
// lives in a bind mount under RunDir until DeleteNamed.
type NS struct {
	f    *os.File
	name string // "" for anonymous namespaces
}

// RunDir is where named namespaces are bind-mounted, as iproute2 does.
const RunDir = "/run/netns"

// threadNSPath is the calling thread's network namespace.
func threadNSPath() string {
	return fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), unix.Gettid())
}

// Open opens the namespace at path (e.g. /run/netns/NAME or /proc/PID/ns/net).
func Open(path string) (*NS, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open network namespace: %w", err)
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("open network namespace %s: %w", path, err)
	}
	if st.Type != unix.NSFS_MAGIC && st.Type != unix.PROC_SUPER_MAGIC {
		f.Close()
		return nil, fmt.Errorf("open network namespace %s: not a namespace file", path)
	}
	name := ""
	if dir, base := filepath.Split(path); filepath.Clean(dir) == RunDir {
		name = base
	}
	return &NS{f: f, name: name}, nil
}

// Current opens the calling goroutine's network namespace. The result is
// only meaningful on a locked thread or in a process that never changes
// namespaces; the process's namespace is /proc/self/ns/net.
func Current() (*NS, error) { return Open(threadNSPath()) }

// New creates an anonymous network namespace, held only by the returned NS:
// closing it (or the process ending) lets the kernel remove the namespace
// and everything in it.
//
// like: unshare --net (without a process in it)
func New() (*NS, error) {
	var ns *NS
	err := onFreshThread(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("create network namespace: %w", err)
		}
		f, err := os.Open(threadNSPath())
		if err != nil {
			return fmt.Errorf("create network namespace: %w", err)
		}
		ns = &NS{f: f}
		return nil
	})
	return ns, err
}

// NewNamed creates a network namespace bind-mounted at RunDir/name so that
// `ip netns exec name ...` can enter it. It fails if the name is taken.
//
// like: ip netns add NAME
func NewNamed(name string) (*NS, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	if err := ensureRunDir(); err != nil {
		return nil, err
	}
	path := filepath.Join(RunDir, name)
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return nil, fmt.Errorf("create network namespace %s: %w", name, err)
	}
	f.Close()
	err = onFreshThread(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("create network namespace %s: %w", name, err)
		}
		if err := unix.Mount(threadNSPath(), path, "none", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind-mount network namespace %s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		_ = os.Remove(path)
		return nil, err
	}
	ns, err := Open(path)
	if err != nil {
		_ = DeleteNamed(name)
		return nil, err
	}
	return ns, nil
}

// DeleteNamed unmounts and removes RunDir/name. A name that is already gone
// is success, so teardown can run twice.
//
// like: ip netns delete NAME
func DeleteNamed(name string) error {
	if err := validName(name); err != nil {
		return err
	}
	path := filepath.Join(RunDir, name)
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("delete network namespace %s: %w", name, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete network namespace %s: %w", name, err)
	}
	return nil
}

// ListNamed returns the names under RunDir that start with prefix.
//
// like: ip netns list | grep ^PREFIX
func ListNamed(prefix string) ([]string, error) {
	ents, err := os.ReadDir(RunDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list network namespaces: %w", err)
	}
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Fd is the namespace's file descriptor, for netlink and nftables handles.
func (n *NS) Fd() int { return int(n.f.Fd()) }

// Name is the namespace's name under RunDir, or "" when anonymous.
func (n *NS) Name() string { return n.name }

// Path is a path that opens this namespace while the NS is open.
func (n *NS) Path() string {
	if n.name != "" {
		return filepath.Join(RunDir, n.name)
	}
	return fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), n.Fd())
}

// Inode identifies the namespace (as `ls -L -i /proc/self/ns/net` shows).
func (n *NS) Inode() (uint64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(n.Fd(), &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

// Close releases this handle. It does not remove a named namespace; an
// anonymous one disappears when nothing else holds it. Closing twice is fine.
func (n *NS) Close() error {
	if n == nil || n.f == nil {
		return nil
	}
	err := n.f.Close()
	if errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}

// Do runs fn with the calling goroutine's work moved into ns: it runs fn on
// a fresh goroutine locked to its OS thread, switches that thread into ns,
// and switches back before unlocking. If switching back fails the thread is
// left locked so the Go runtime discards it rather than reuse it in the
// wrong namespace. Sockets opened in fn stay in ns after Do returns.
func Do(ns *NS, fn func() error) error {
	return onFreshThread(func() error {
		if err := unix.Setns(ns.Fd(), unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("enter network namespace %s: %w", ns, err)
		}
		return fn()
	})
}

// String names the namespace for error messages.
func (n *NS) String() string {
	if n == nil {
		return "<nil>"
	}
	if n.name != "" {
		return n.name
	}
	if ino, err := n.Inode(); err == nil {
		return fmt.Sprintf("net:[%d]", ino)
	}
	return "net:[?]"
}

// onFreshThread runs fn on a new goroutine locked to its thread, then
// restores the thread's network namespace; on failure to restore, the
// thread dies with its goroutine.
func onFreshThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open(threadNSPath())
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open current network namespace: %w", err)
			return
		}
		defer orig.Close()
		ferr := fn()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			// Stay locked: the runtime ends this thread with the goroutine.
			errc <- errors.Join(ferr, fmt.Errorf("restore network namespace: %w", err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// validName refuses names that would escape RunDir.
func validName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") || len(name) > 200 {
		return fmt.Errorf("invalid network namespace name %q", name)
	}
	return nil
}

// ensureRunDir makes RunDir a shared mount point, as iproute2 does, so that
// namespace bind mounts under it propagate to other mount namespaces.
//
// like: mkdir -p /run/netns; mount --bind /run/netns /run/netns; mount --make-shared /run/netns
func ensureRunDir() error {
	if err := os.MkdirAll(RunDir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", RunDir, err)
	}
	err := unix.Mount("", RunDir, "none", unix.MS_SHARED|unix.MS_REC, "")
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("make %s shared: %w", RunDir, err)
	}
	// Not a mount point yet: bind it onto itself, then share it.
	if err := unix.Mount(RunDir, RunDir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind-mount %s: %w", RunDir, err)
	}
	if err := unix.Mount("", RunDir, "none", unix.MS_SHARED|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("make %s shared: %w", RunDir, err)
	}
	return nil
}
