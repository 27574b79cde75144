package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/metrics/promtest"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/runrecord/runrecordtest"
	"github.com/cnibench/cnibench/internal/stats"
	"github.com/cnibench/cnibench/internal/testenv"
)

// closedURL is an address nothing listens on.
func closedURL(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL
}

func TestPushFlagErrors(t *testing.T) {
	run := writeRun(t, t.TempDir(), "run.json", runrecordtest.Options{Repeats: 1})
	tests := []struct {
		name    string
		build   string
		args    []string
		wantErr []string // substrings of the error
	}{
		{"run: no record kept", "run", []string{"--push", "http://127.0.0.1:9091", "--dry-run"}, []string{"--push needs the run record kept in case the push fails: add --out-dir DIR (or -o json)"}},
		{"run: not a URL", "run", []string{"--push", "pushgateway", "--dry-run"}, []string{`--push: push URL "pushgateway": want the Pushgateway's address`}},
		{"report: label without push", "report", []string{run, "--push-label", "cluster=x"}, []string{"--push-label needs --push URL"}},
		{"report: not KEY=VALUE", "report", []string{run, "--push", "http://127.0.0.1:9091", "--push-label", "cluster"}, []string{`--push-label "cluster": want KEY=VALUE`}},
		{"report: unknown label", "report", []string{run, "--push", "http://127.0.0.1:9091", "--push-label", "team=net"}, []string{`--push-label: label "team" cannot be set`}},
		{"report: gateway down", "report", []string{run, "--push", closedURL(t), "-o", "json"}, []string{"failed: attempt 1: Put", "the run record is kept (in " + run + "): push it again with: cnibench report " + run + " --push http://"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			build := newReportCommand
			if tt.build == "run" {
				build = newRunCommand
			}
			_, _, err := runCommand(t, build, tt.args...)
			for _, want := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error %v, want %q", err, want)
				}
			}
		})
	}
}

func TestReportOpenMetrics(t *testing.T) {
	run := writeRun(t, t.TempDir(), "run.json", runrecordtest.Options{Repeats: 3})
	out, _, err := runCommand(t, newReportCommand, run, "-o", "openmetrics")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"# TYPE cnibench_overhead_ratio gauge\n", "# UNIT cnibench_goodput_median_bits_per_second bits_per_second\n", `scenario="pod-pod-cross"`} {
		if !strings.Contains(out, w) {
			t.Errorf("openmetrics lacks %q", w)
		}
	}
	if !strings.HasSuffix(out, "# EOF\n") {
		t.Error("openmetrics does not end with # EOF")
	}
}

// TestRunPushedToPrometheus runs a short plan on the real lab with --push
// to Debian's Pushgateway, lets Debian's Prometheus scrape it, and checks
// that PromQL returns the pod-pod-cross overhead of the run record. A run
// whose gateway is down writes its record, then fails naming the fix.
func TestRunPushedToPrometheus(t *testing.T) {
	testenv.MustBeRoot(t)
	gw := promtest.Pushgateway(t)
	prom := promtest.Prometheus(t, gw)

	dir := t.TempDir()
	_, errOut, err := runCommand(t, newRunCommand, "--scenarios", "node-node,pod-pod-cross", "--repeats", "2", "--duration", "1s", "--omit", "0",
		"--out-dir", dir, "--push", gw, "--push-label", "cluster=ci-lab")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	run, err := runrecord.ReadFile(filepath.Join(dir, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut, fmt.Sprintf("pushed run %s to %s (job cnibench)", run.ID, gw)) {
		t.Errorf("stderr lacks the push:\n%s", errOut)
	}
	s := run.Summary(stats.Key{Variant: run.Plan.Variants[0], Scenario: "pod-pod-cross", Protocol: stats.TCP, Streams: 1})
	if s == nil || s.Overhead == nil {
		t.Fatalf("the run record has no pod-pod-cross overhead: %+v", s)
	}
	query := fmt.Sprintf(`cnibench_overhead_ratio{job="cnibench",cluster="ci-lab",run_id=%q,scenario="pod-pod-cross",protocol="tcp"}`, run.ID)
	got := promtest.Await(t, prom, query, 1)
	if got[0].Value != s.Overhead.Ratio {
		t.Errorf("Prometheus: %s = %v; run record: %v", query, got[0].Value, s.Overhead.Ratio)
	}
	t.Logf("Prometheus: %s = %v (run record %v)", query, got[0].Value, s.Overhead.Ratio)

	down := t.TempDir()
	_, errOut, err = runCommand(t, newRunCommand, "--scenarios", "node-node", "--repeats", "1", "--duration", "1s", "--omit", "0",
		"--out-dir", down, "--push", closedURL(t), "-q")
	if err == nil || !strings.Contains(err.Error(), "push to the Pushgateway") || !strings.Contains(err.Error(), "cnibench report "+filepath.Join(down, "run.json")+" --push") {
		t.Fatalf("a run whose gateway is down: %v, want the push's failure and how to push again\n%s", err, errOut)
	}
	if _, err := os.Stat(filepath.Join(down, "run.json")); err != nil {
		t.Errorf("the run record was not written before the push: %v", err)
	}
}
