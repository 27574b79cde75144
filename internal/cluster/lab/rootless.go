package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// rootlessEnv marks the re-executed child, so it does not re-execute again.
const rootlessEnv = "CNIBENCH_ROOTLESS_CHILD"

// NeedsReexec reports whether this process must re-execute itself in a
// user namespace to build a lab: it is not root and not already the child.
func NeedsReexec() bool { return os.Geteuid() != 0 && os.Getenv(rootlessEnv) == "" }

// InRootlessChild reports whether this process is the re-executed child.
func InRootlessChild() bool { return os.Getenv(rootlessEnv) != "" }

// Reexec runs this program again with args inside a new user, network and
// mount namespace where the caller is root (uid and gid mapped to theirs),
// passing the standard streams through, and returns the child's exit
// status. The child gets a private /run (a tmpfs) so that named
// namespaces work without touching the real one.
//
// like: unshare --user --map-root-user --net --mount cnibench ARGS...
func Reexec(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	self, err := os.Executable()
	if err != nil {
		return 1, fmt.Errorf("rootless: find own executable: %w", err)
	}
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	cmd.Env = append(os.Environ(), rootlessEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:                 syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET | syscall.CLONE_NEWNS,
		UidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
		GidMappingsEnableSetgroups: false,
		Pdeathsig:                  syscall.SIGKILL,
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	if err := cmd.Start(); err != nil {
		return 1, userNSError(err)
	}
	err = cmd.Wait()
	// The child's status is the answer, also when ctx ended (Ctrl-C
	// reaches both processes): Wait then reports ctx's error even though
	// the child cleaned up and exited by itself.
	if st := cmd.ProcessState; st != nil && st.Exited() {
		return st.ExitCode(), nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return 1, err
	}
	return 0, nil
}

// userNSError explains why the kernel refused a user namespace.
func userNSError(err error) error {
	var hints []string
	if b, rerr := os.ReadFile("/proc/sys/user/max_user_namespaces"); rerr == nil && strings.TrimSpace(string(b)) == "0" {
		hints = append(hints, "user.max_user_namespaces is 0")
	}
	if b, rerr := os.ReadFile("/proc/sys/kernel/unprivileged_userns_clone"); rerr == nil && strings.TrimSpace(string(b)) == "0" {
		hints = append(hints, "kernel.unprivileged_userns_clone is 0")
	}
	if b, rerr := os.ReadFile("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"); rerr == nil && strings.TrimSpace(string(b)) == "1" {
		hints = append(hints, "kernel.apparmor_restrict_unprivileged_userns is 1")
	}
	why := "the kernel does not allow unprivileged user namespaces here"
	if len(hints) > 0 {
		why += " (" + strings.Join(hints, ", ") + ")"
	}
	return fmt.Errorf("rootless lab: %s: %w; run cnibench as root, or allow user namespaces", why, err)
}

// PrepareRootlessChild gives the re-executed child a private /run, so
// named namespaces (bind mounts under /run/netns) stay inside its own
// mount namespace. It does nothing outside the child.
//
// like: mount --make-rprivate /; mount -t tmpfs tmpfs /run
func PrepareRootlessChild() error {
	if !InRootlessChild() {
		return nil
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("rootless: make mounts private: %w", err)
	}
	if err := unix.Mount("tmpfs", "/run", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=755"); err != nil {
		return fmt.Errorf("rootless: private /run: %w", err)
	}
	return nil
}
