package lab

import (
	"context"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/testenv"
)

const rootlessTestEnv = "CNIBENCH_TEST_ROOTLESS"

// TestRootless runs this test binary as an ordinary user (nobody), which
// re-executes itself into a user+network+mount namespace and builds a lab
// there (TestRootlessChild), as `cnibench lab` does without root.
func TestRootless(t *testing.T) {
	testenv.MustBeRoot(t)
	dir, err := os.MkdirTemp("", "cnibench-rootless-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "lab.test")
	if err := copyFile(os.Args[0], bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestRootlessChild$", "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = []string{rootlessTestEnv + "=1", "PATH=" + os.Getenv("PATH")}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if strings.Contains(string(out), "does not allow unprivileged user namespaces") {
		t.Skipf("kernel forbids unprivileged user namespaces (a kernel setting, not a test failure):\n%s", out)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: TestRootlessChild") {
		t.Fatalf("rootless run: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

func TestRootlessChild(t *testing.T) {
	if os.Getenv(rootlessTestEnv) == "" {
		t.Skip("run by TestRootless")
	}
	if NeedsReexec() {
		code, err := Reexec(context.Background(), os.Args[1:], nil, os.Stdout, os.Stderr)
		if err != nil {
			t.Fatal(err)
		}
		if code != 0 {
			t.Fatalf("child exited with %d", code)
		}
		return
	}
	if !InRootlessChild() {
		t.Fatal("neither the user nor the child")
	}
	if err := PrepareRootlessChild(); err != nil {
		t.Fatal(err)
	}
	l, err := Build(context.Background(), Config{Nodes: 2, PodsPerNode: 1, Datapath: VXLAN, Named: true, LinkRate: 1e9, PolicyRules: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(context.Background())
	echoServer(t, l, "pod-2a", echoPort)
	if err := checkTCP(network(t, l, "pod-1a"), netipAddrPort(PodIP(2, 1), echoPort)); err != nil {
		t.Fatal(err)
	}
	t.Logf("rootless lab %s works as uid %d in its user namespace", l.ID(), os.Getuid())
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

const reexecWaitEnv = "CNIBENCH_TEST_REEXEC_WAIT"

// TestReexecInterrupted: when the run is interrupted (Ctrl-C reaches the
// parent and the child) and the child cleans up and exits 0, Reexec says
// 0 and no error, not the parent context's "context canceled".
func TestReexecInterrupted(t *testing.T) {
	testenv.MustBeRoot(t)
	t.Setenv(reexecWaitEnv, "1")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	var out strings.Builder
	code, err := Reexec(ctx, []string{"-test.run=^TestReexecWaitChild$", "-test.count=1"}, nil, &out, &out)
	if err != nil || code != 0 {
		t.Fatalf("Reexec: code %d, err %v; child said:\n%s", code, err, out.String())
	}
}

// TestReexecWaitChild waits for the interrupt TestReexecInterrupted sends.
func TestReexecWaitChild(t *testing.T) {
	if os.Getenv(reexecWaitEnv) == "" || !InRootlessChild() {
		t.Skip("run by TestReexecInterrupted")
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	select {
	case <-sig:
	case <-time.After(10 * time.Second):
		t.Fatal("no interrupt")
	}
}
