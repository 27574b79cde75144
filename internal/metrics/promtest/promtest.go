// Package promtest starts the real Prometheus and Pushgateway (Debian's
// prometheus and prometheus-pushgateway packages) for tests: on free
// loopback ports, with state in the test's temporary directory, stopped by
// PID when the test ends. Without the binaries a test skips, or fails under
// CNIBENCH_REQUIRE_PRIVILEGED=1 (internal/testenv).
package promtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/testenv"
)

// startTimeout bounds a server's start and a query's wait.
const startTimeout = 30 * time.Second

// binary returns the first of names on PATH, or skips (fails) the test.
func binary(t testing.TB, pkg string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	testenv.SkipOrFail(t, fmt.Sprintf("%s not installed (apt-get install %s)", names[0], pkg))
	return ""
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start runs a server and waits until base/-/ready answers 200; the
// process is killed by PID when the test ends.
func start(t testing.TB, name, base string, cmd *exec.Cmd) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // this process, by its PID
		<-exited
		logf.Close()
	})
	deadline := time.Now().Add(startTimeout)
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Logf("%s (pid %d) ready at %s", name, pid, base)
				return
			}
		}
		select {
		case err := <-exited:
			exited <- err
			log, _ := os.ReadFile(logPath)
			t.Fatalf("%s exited before it was ready (%v):\n%s", name, err, log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("%s not ready after %v:\n%s", name, startTimeout, log)
		}
	}
}

// Pushgateway starts a Pushgateway and returns its URL.
func Pushgateway(t testing.TB) string {
	t.Helper()
	bin := binary(t, "prometheus-pushgateway", "prometheus-pushgateway", "pushgateway")
	addr := freeAddr(t)
	base := "http://" + addr
	start(t, "pushgateway", base, exec.Command(bin, "--web.listen-address="+addr, "--persistence.file="))
	return base
}

// Prometheus starts a Prometheus that scrapes the Pushgateway at gateway
// every second (honor_labels, as a Pushgateway must be scraped) and
// returns its URL.
func Prometheus(t testing.TB, gateway string) string {
	t.Helper()
	bin := binary(t, "prometheus", "prometheus")
	u, err := url.Parse(gateway)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: pushgateway
    honor_labels: true
    static_configs:
      - targets: [%q]
`, u.Host)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	base := "http://" + addr
	start(t, "prometheus", base, exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn"))
	return base
}

// Sample is one series of an instant query's result.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Query runs an instant PromQL query over Prometheus's HTTP API.
func Query(ctx context.Context, prom, query string) ([]Sample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, prom+"/api/v1/query?query="+url.QueryEscape(query), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("query %s: %w", query, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query %s: %s", query, body.Error)
	}
	if body.Data.ResultType != "vector" {
		return nil, fmt.Errorf("query %s: a %s, want a vector", query, body.Data.ResultType)
	}
	out := make([]Sample, 0, len(body.Data.Result))
	for _, r := range body.Data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("query %s: value %v: %w", query, r.Value[1], err)
		}
		out = append(out, Sample{Labels: r.Metric, Value: v})
	}
	return out, nil
}

// Await repeats query until it returns n series (Prometheus has scraped
// what the test pushed), for at most 30 s.
func Await(t testing.TB, prom, query string, n int) []Sample {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		got, err := Query(ctx, prom, query)
		if err == nil && len(got) == n {
			return got
		}
		select {
		case <-ctx.Done():
			t.Fatalf("PromQL %s: %d series (%v) after %v, want %d", query, len(got), err, startTimeout, n)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
