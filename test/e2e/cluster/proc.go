package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cnibench/cnibench/internal/netns"
)

// Proc is a daemon the harness started, identified by its PID and its start
// time (so a recycled PID is never taken for ours).
type Proc struct {
	Name  string `json:"name"`
	PID   int    `json:"pid"`
	Start uint64 `json:"start"` // /proc/PID/stat field 22, clock ticks since boot
	Log   string `json:"log"`
}

// procStat reads the state letter and start time of pid.
func procStat(pid int) (state byte, start uint64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) may hold spaces and parentheses: cut after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	start, err = strconv.ParseUint(f[19], 10, 64) // field 22 overall
	return f[0][0], start, err
}

// Alive reports whether the process still runs. PID 1 on these machines
// does not reap, so a dead daemon can linger as a zombie: judge by state.
func (p Proc) Alive() bool {
	st, start, err := procStat(p.PID)
	return err == nil && start == p.Start && st != 'Z' && st != 'X'
}

// startProc starts a daemon, inside ns when ns is not nil (the child is
// forked from a thread switched into ns, so it is born there: no `ip netns
// exec`, which would remount /sys). It runs in its own session and outlives
// the harness; its output goes to logDir/NAME.log.
func startProc(ns *netns.NS, logDir, name, bin string, args, env []string) (Proc, error) {
	logPath := filepath.Join(logDir, name+".log")
	logw, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return Proc{}, err
	}
	defer logw.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logw, logw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	start := func() error { return cmd.Start() }
	if ns != nil {
		err = netns.Do(ns, start)
	} else {
		err = start()
	}
	if err != nil {
		return Proc{}, fmt.Errorf("start %s: %w", name, err)
	}
	// Reap it if it dies while we run; after we exit it is PID 1's.
	go func() { _ = cmd.Wait() }()
	_, st, err := procStat(cmd.Process.Pid)
	if err != nil {
		return Proc{}, fmt.Errorf("start %s: %w", name, err)
	}
	return Proc{Name: name, PID: cmd.Process.Pid, Start: st, Log: logPath}, nil
}

// stop ends p: SIGTERM, then SIGKILL after grace. Already gone is success.
func (p Proc) stop(grace time.Duration) error {
	if !p.Alive() {
		return nil
	}
	if err := syscall.Kill(p.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop %s (pid %d): %w", p.Name, p.PID, err)
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !p.Alive() {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return killPID(p.PID, p.Start, p.Name)
}

// killPID sends SIGKILL to pid if it still has start time start, and waits
// until it is gone (or a zombie).
func killPID(pid int, start uint64, what string) error {
	p := Proc{Name: what, PID: pid, Start: start}
	if !p.Alive() {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill %s (pid %d): %w", what, pid, err)
	}
	for i := 0; i < 200 && p.Alive(); i++ {
		time.Sleep(25 * time.Millisecond)
	}
	if p.Alive() {
		return fmt.Errorf("kill %s (pid %d): still running", what, pid)
	}
	return nil
}

// shimsOf lists the containerd shims serving containerd socket sock: they
// double-fork away from containerd, so they are found by the socket named
// on their command line, which is ours alone.
func shimsOf(sock string) []Proc {
	var out []Proc
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if len(args) == 0 || !strings.HasPrefix(filepath.Base(args[0]), "containerd-shim") {
			continue
		}
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "-address" && args[i+1] == sock {
				if _, st, err := procStat(pid); err == nil {
					out = append(out, Proc{Name: "containerd-shim", PID: pid, Start: st})
				}
				break
			}
		}
	}
	return out
}
