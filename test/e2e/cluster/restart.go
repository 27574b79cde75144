package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// RestartAPIServer stops the kube-apiserver of the cluster in run
// directory dir (SIGTERM, which lets requests in flight finish; SIGKILL
// when kill, which cuts them as a crash does), keeps it away for away,
// then starts it again with the same command line and waits until it is
// ready: an API server restart (or a leader change) as a client sees
// it, for the fault tests.
func RestartAPIServer(ctx context.Context, dir string, away time.Duration, kill bool, log *slog.Logger) error {
	st, err := ReadState(dir)
	if err != nil {
		return fmt.Errorf("no e2e cluster in %s: %w", dir, err)
	}
	i := -1
	for j, p := range st.Procs {
		if p.Name == "kube-apiserver" {
			i = j
		}
	}
	if i < 0 || !st.Procs[i].Alive() {
		return fmt.Errorf("the cluster in %s has no running kube-apiserver", dir)
	}
	old := st.Procs[i]
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", old.PID))
	if err != nil {
		return fmt.Errorf("read kube-apiserver's command line: %w", err)
	}
	args := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
	stop := func() error { return old.stop(10 * time.Second) }
	if kill {
		stop = func() error { return killPID(old.PID, old.Start, old.Name) }
	}
	if err := stop(); err != nil {
		return err
	}
	log.Info("kube-apiserver stopped", "pid", old.PID, "away", away)
	select {
	case <-ctx.Done():
	case <-time.After(away):
	}
	p, err := startProc(nil, paths(dir).logs(), "kube-apiserver", args[0], args[1:], nil)
	if err != nil {
		return err
	}
	st.Procs[i] = p
	if err := st.save(); err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", st.Kubeconfig)
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	start := time.Now()
	wctx := context.WithoutCancel(ctx) // started again, it is waited for
	err = poll(wctx, 60*time.Second, func() error {
		if !p.Alive() {
			return backoffStop{fmt.Errorf("kube-apiserver exited after its restart; see %s", p.Log)}
		}
		_, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(wctx)
		return err
	})
	if err == nil {
		log.Info("kube-apiserver ready again", "pid", p.PID, "after", time.Since(start).Round(time.Millisecond))
	}
	return err
}
