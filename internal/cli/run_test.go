package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/testenv"
)

func TestRunDryRun(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		tests int
		want  []string
	}{
		{"defaults", nil, 108, []string{
			"108 tests, one at a time: 1 variant(s) × 9 scenarios × tcp × 1 stream(s) × 6 repeats, interleaved order",
			"each test: 1s measured after 0s warm-up, TCP writes of 1 MiB; about 1m32s in all",
			"tests on every scenario: throughput, rr; each latency test 500ms",
			"lab datapath=routed: 3 nodes × 2 pods, MTU 1500, pod MTU 1500, uplinks shaped to 1 Gbit/s",
			"1/6     ", "6/6     ",
		}},
		{"throughput only", []string{"--tests", "throughput"}, 54, []string{"about 59s in all"}},
		{"latency only", []string{"--tests", "rr,crr,udp-rr", "--latency-duration", "2s", "--repeats", "2"}, 9 * 3 * 2, []string{
			"each latency test 2s", "node-node       crr", "pod-clusterip   udp-rr",
		}},
		{"matrix", []string{"--tests", "throughput", "--datapath", "routed,vxlan", "--protocol", "tcp,udp", "--streams", "1,4", "--repeats", "3", "--link-rate", "0"}, 2 * 9 * 2 * 2 * 3, []string{
			"216 tests", "UDP at 500 Mbit/s per stream",
			"lab datapath=vxlan: 3 nodes × 2 pods, MTU 1500, pod MTU 1450, uplinks unshaped",
			"note: 3 repeats: with fewer than 4 the significance test can never call a difference real",
		}},
		{"some scenarios, other nodes", []string{"--tests", "throughput", "--scenarios", "pod-pod-cross", "--nodes", "node-3,node-2", "--duration", "3", "--omit", "1s"}, 12, []string{
			"note: added node-node", "each test: 3s measured after 1s warm-up", "pod on node-3 → pod on node-2",
		}},
		{"a sweep of message size and MSS on one lab", []string{"--tests", "throughput", "--scenarios", "pod-pod-cross", "--repeats", "1", "--msg-size", "64..4Kx8", "--mss", "536,1400", "--streams", "1..4x2"},
			3 * 2 * 2 * 3, []string{"6 variant(s)", "message size per variant", "datapath=routed,msg-size=64,mss=536 ", "tcp    4 "}},
		{"every scenario", []string{"--tests", "throughput", "--scenarios", "all", "--repeats", "1"}, 12, []string{
			"pod on node-1 → NodePort of node-2 → pod on node-1", "node-1 → a server outside the cluster", "pod on node-1 → ClusterIP → itself",
		}},
		{"both families, each a variant on one lab", []string{"--tests", "throughput", "--scenarios", "pod-pod-cross", "--repeats", "1", "--ip-family", "4,6"},
			4, []string{"2 variant(s)", "datapath=routed,ip-family=IPv4 ", "datapath=routed,ip-family=IPv6 "}},
		{"a same-node scenario brings its baseline", []string{"--scenarios", "pod-pod-same", "--repeats", "2"}, 12, []string{
			"note: added node-node-same: same-node scenarios are compared with two host processes on their node",
			"node-node-same  tcp    1        ", "node-1 → node-1",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, err := runCommand(t, newRunCommand, append([]string{"--dry-run"}, tc.args...)...)
			if err != nil {
				t.Fatalf("%v\n%s", err, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("dry run lacks %q:\n%s", w, out)
				}
			}
			rows := 0
			for _, l := range strings.Split(out, "\n") {
				if strings.Contains(l, "  datapath=") {
					rows++
				}
			}
			if rows != tc.tests {
				t.Errorf("%d tests listed, want %d:\n%s", rows, tc.tests, out)
			}
		})
	}
}

// TestRunKubeExternalScenarios: without --external-server, --scenarios all
// on a cluster leaves the scenarios out of the cluster out and says so;
// with it they are in the plan.
func TestRunKubeExternalScenarios(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		wantNote bool
	}{
		{"no external server", nil, true},
		{"an external server", []string{"--external-server", "198.18.0.200"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--dry-run", "--cluster", "kube", "--scenarios", "all", "--tests", "throughput", "--repeats", "1"}, tc.args...)
			out, errOut, err := runCommand(t, newRunCommand, args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, errOut)
			}
			note := "note: node-external, pod-external left out: they need a server outside the cluster; name one with --external-server HOST[:PORT]"
			if strings.Contains(errOut, note) != tc.wantNote || strings.Contains(out, "pod-external") == tc.wantNote {
				t.Errorf("stderr %q\nstdout:\n%s", errOut, out)
			}
		})
	}
}

func TestRunFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cluster", "gke"}, `unknown cluster "gke": use lab or kube`},
		{[]string{"--cluster", "kube", "--repeats", "0"}, "repeats 0: use at least 1"},
		{[]string{"--cluster", "kube", "--toleration", "gpu:Never"}, `--toleration "gpu:Never": effect "Never"`},
		{[]string{"-o", "xml"}, `unknown output format "xml"`},
		{[]string{"--repeats", "0"}, "repeats 0: use at least 1"},
		{[]string{"--duration", "1.5"}, "duration 1.5s: iperf3's protocol carries whole seconds; use e.g. 2s"},
		{[]string{"--duration", "0"}, "duration 0s: use at least 1s"},
		{[]string{"--duration", "soon"}, `"soon" is not a duration`},
		{[]string{"--omit", "0.5s"}, "omit 500ms"},
		{[]string{"--protocol", "sctp"}, `unknown protocol "sctp"`},
		{[]string{"--protocol", "TCP,UDP", "--udp-rate", "0"}, "--udp-rate 0: give a rate like 500M"},
		{[]string{"--udp-rate", "fast"}, `--udp-rate: "fast" is not a rate: use bits/s as iperf3 writes them (500M`},
		{[]string{"--udp-rate", "500mb"}, `--udp-rate: rate "500mb": unknown unit "mb"`},
		{[]string{"--msg-size", "2M"}, "message size 2097152: TCP writes at most 1048576 bytes"},
		{[]string{"--rtt-probes", "-1"}, "--rtt-probes -1: use 0 (none) to 1000"},
		{[]string{"--rtt-probes", "5000"}, "5000 RTT probes: use at most 1000, or 0 for none"},
		{[]string{"--scenarios", "pod-pod"}, `unknown scenario "pod-pod"`},
		{[]string{"--streams", "0"}, "streams 0: use 1..128"},
		{[]string{"--nodes", "node-1"}, "name exactly two nodes"},
		{[]string{"--order", "random"}, `order "random": use interleaved or sequential`},
		{[]string{"--datapath", "calico"}, `datapath "calico": use one of routed, vxlan, ipip, wireguard`},
		{[]string{"--link-rate", "fast"}, `--link-rate: "fast" is not a rate`},
		{[]string{"--mtu", "100"}, "underlay MTU 100: use 1280..9000"},
		{[]string{"--policy-rules", "0,1,2,3,4,5,6", "--mtu", "1500,1400,1300,1280,9000,2000"}, "more than 36 variants"},
		{[]string{"--tests", "tcp_rr"}, `unknown test "tcp_rr": use throughput, rr, crr, udp-rr, rr-load or udp-max`},
		{[]string{"--latency-duration", "5ms"}, "latency duration 5ms: use 10ms..1m0s"},
		{[]string{"--cluster", "kube", "--server-image", "networkstatic/iperf3", "--tests", "throughput,rr"}, "--tests rr with --server-image: a stock iperf3 cannot answer latency tests"},
		{[]string{"--cluster", "kube", "--scenarios", "pod-external"}, "pod-external need a server outside the cluster: run `cnibench server` (or `iperf3 -s`) on a host the nodes reach and name it with --external-server HOST[:PORT]"},
		{[]string{"--cluster", "kube", "--external-server", "a:b:c"}, `--external-server "a:b:c": not a host: use HOST[:PORT]`},
		{[]string{"--cluster", "kube", "--external-traffic-policy", "Nowhere"}, `--external-traffic-policy "Nowhere": use Cluster or Local`},
		{[]string{"--ip-family", "5"}, `--ip-family "5": use 4, 6 or 4,6`},
		{[]string{"--ip-family", "6,ipv6"}, "--ip-family lists IPv6 twice"},
		{[]string{"--protocol", "udp", "--discard"}, "discard drops what TCP throughput tests receive, and this plan has none: drop --discard"},
		{[]string{"extra"}, "unknown command"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, _, err := runCommand(t, newRunCommand, append(tc.args, "--dry-run")...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRunStatus(t *testing.T) {
	failed := runrecord.Sample{Scenario: "pod-node", Error: "connection refused"}
	measured := func(n int) []runrecord.Sample {
		var s []runrecord.Sample
		for i := 0; i < n; i++ {
			s = append(s, runrecord.Sample{Scenario: "node-node", Result: fakeResult()})
		}
		return s
	}
	for _, tc := range []struct {
		name    string
		run     *runrecord.Run
		runErr  error
		code    int // 0 = no error
		message string
	}{
		{"all measured", &runrecord.Run{Samples: measured(3)}, nil, 0, ""},
		{"some failed", &runrecord.Run{Samples: append(measured(3), failed)}, nil, exitTestsFailed, "1 of 4 tests failed"},
		{"a latency test failed", &runrecord.Run{Samples: measured(2), LatencySamples: []runrecord.LatencySample{{Scenario: "pod-node", Test: "rr", Error: "connection refused"}}},
			nil, exitTestsFailed, "1 of 3 tests failed"},
		{"interrupted", &runrecord.Run{Samples: measured(2)}, fmt.Errorf("%w: %w", bench.ErrInterrupted, context.Canceled), exitInterrupted, "interrupted after 2 tests"},
		{"interrupted with failures", &runrecord.Run{Samples: []runrecord.Sample{failed}}, bench.ErrInterrupted, exitInterrupted, "partial results"},
		{"could not run", &runrecord.Run{}, errors.New(`no node "node-9"`), 1, `no node "node-9"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runStatus(tc.run, tc.runErr, nil)
			if tc.code == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			code := 1
			var ee *exitError
			if errors.As(err, &ee) {
				code = ee.code
			}
			if err == nil || code != tc.code || !strings.Contains(err.Error(), tc.message) {
				t.Errorf("status %d %v, want %d %q", code, err, tc.code, tc.message)
			}
		})
	}
}

func fakeResult() *runrecord.Result {
	return &runrecord.Result{SumReceived: runrecord.Totals{BitsPerSecond: 1e9}}
}

// TestRunOnTheLab runs a small plan on the real lab through the command:
// the table on stdout, every format and run.json in --out-dir, progress
// lines (stderr is not a terminal), exit status 0. It runs with --discard:
// the lab's servers (the engine) drop what they receive, say so in their
// results, and the table's header names it.
func TestRunOnTheLab(t *testing.T) {
	testenv.MustBeRoot(t)
	dir := t.TempDir()
	out, errOut, err := runCommand(t, newRunCommand, "--scenarios", "pod-pod-cross", "--repeats", "2", "--datapath", "vxlan", "--out-dir", dir, "--discard")
	// the default tests: throughput and rr, 4 of each
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	t.Logf("stdout:\n%s\nstderr:\n%s", out, errOut)
	for _, w := range []string{"datapath=vxlan", "node-node", "pod-pod-cross", "baseline", "8 tests · complete", "LATENCY · datapath=vxlan", "TCP receivers discarded the bytes unread (--discard)"} {
		if !strings.Contains(out, w) {
			t.Errorf("table lacks %q", w)
		}
	}
	for _, w := range []string{"building datapath=vxlan", "[1/8] datapath=vxlan ", "Mbit/s (elapsed", "rr #2/2: p50 ", "wrote " + filepath.Join(dir, "run.json")} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q", w)
		}
	}
	for _, f := range []string{"run.json", "run.txt", "run.csv", "run.md", "run.html", "run.om"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	run, err := runrecord.ReadFile(filepath.Join(dir, "run.json"))
	if err != nil || !run.Complete || len(run.Samples) != 4 || len(run.Summaries) != 2 || len(run.LatencySamples) != 4 || len(run.LatencySummaries) != 2 || run.ID == "" || run.CommandLine[0] != "cnibench" {
		t.Fatalf("run.json: %v", err)
	}
	if got := fmt.Sprintf("%v %v %v", run.PlanFile["datapath"], run.PlanFile["repeats"], run.PlanFile["seed"]); got != fmt.Sprintf("[vxlan] 2 %d", run.Plan.Seed) {
		t.Errorf("the embedded plan has datapath, repeats, seed %s", got)
	}
	if !run.Plan.Discard || fmt.Sprint(run.PlanFile["discard"]) != "true" {
		t.Errorf("plan discard %v, embedded plan %v", run.Plan.Discard, run.PlanFile["discard"])
	}
	for _, s := range run.Samples {
		if s.Failed() {
			t.Errorf("%s #%d failed: %s", s.Scenario, s.Repeat, s.Error)
		} else if !slices.Contains(s.Result.PeerModes, runrecord.ModeTCPDiscard) || !s.Result.Spec.Discard {
			t.Errorf("%s #%d: the server's modes %v (spec discard %v), want it to say it discarded", s.Scenario, s.Repeat, s.Result.PeerModes, s.Result.Spec.Discard)
		}
	}
}

// TestRunInterrupted: Ctrl-C (the command's context ends) mid-run exits
// with status 130 after writing the partial run, marked incomplete.
func TestRunInterrupted(t *testing.T) {
	testenv.MustBeRoot(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(2500*time.Millisecond, cancel)
	cmd := newRunCommand(Streams{In: strings.NewReader(""), Out: &strings.Builder{}, Err: &strings.Builder{}})
	cmd.SetArgs([]string{"--quiet", "--out-dir", dir})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	start := time.Now()
	err := cmd.ExecuteContext(ctx)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitInterrupted {
		t.Fatalf("error %v, want exit status 130", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("stopped after %v", took)
	}
	run, err := runrecord.ReadFile(filepath.Join(dir, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The default run has throughput and rr tests in a random order: the
	// first finished test may be either kind.
	n := len(run.Samples) + len(run.LatencySamples)
	if run.Complete || n == 0 || n >= 35 || run.FailedSamples() != 0 || run.FailedLatencySamples() != 0 {
		t.Errorf("partial run: complete %v, %d samples + %d latency samples, %d + %d failed", run.Complete,
			len(run.Samples), len(run.LatencySamples), run.FailedSamples(), run.FailedLatencySamples())
	}
	table, _ := os.ReadFile(filepath.Join(dir, "run.txt"))
	if !strings.Contains(string(table), "INCOMPLETE: interrupted, partial results") {
		t.Errorf("table:\n%s", table)
	}
}
