package bench

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/cluster/lab"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/netns"
	"github.com/cnibench/cnibench/internal/report"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
	"github.com/cnibench/cnibench/internal/testenv"
)

// End-to-end tests on the real lab: they build labs (root, or fail under
// CNIBENCH_REQUIRE_PRIVILEGED=1) and keep to short tests, about 60 s in all.

// labRun runs plan on the lab matrix m and logs the table.
func labRun(t *testing.T, ctx context.Context, m LabMatrix, p Plan, ev Events) (*runrecord.Run, error) {
	t.Helper()
	testenv.MustBeRoot(t)
	id := lab.NewID()[:5]
	vs, err := m.Variants(id)
	if err != nil {
		t.Fatal(err)
	}
	if err := Supported(vs); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	run, err := RunVariants(ctx, LabVariants(vs), p, Options{ID: id, Events: ev})
	if run != nil {
		var b strings.Builder
		_, _ = report.Write(run, report.Options{Out: &b})
		t.Logf("%v:\n%s", time.Since(start).Round(time.Millisecond), b.String())
	}
	return run, err
}

func summary(t *testing.T, run *runrecord.Run, variant, scenario string) *stats.Summary {
	t.Helper()
	s := run.Summary(stats.Key{Variant: variant, Scenario: scenario, Protocol: engine.TCP, Streams: 1})
	if s == nil || s.Goodput == nil {
		t.Fatalf("%s %s: no figures", variant, scenario)
	}
	return s
}

// TestLabMatrixRoutedVXLAN runs the full default matrix on routed and
// vxlan (uplinks at 1 Gbit/s, as `cnibench run` shapes them by default):
// every test completes, and encapsulation shows as pod-pod-cross overhead
// that routed does not have, near vxlan's header-tax floor.
func TestLabMatrixRoutedVXLAN(t *testing.T) {
	m := LabMatrix{Datapaths: []lab.Datapath{lab.Routed, lab.VXLAN}, LinkRates: []uint64{1e9}}
	run, err := labRun(t, context.Background(), m, Plan{Repeats: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !run.Complete || run.FailedSamples() != 0 || len(run.Samples) != 2*7*3 {
		t.Fatalf("complete %v, %d samples, %d failed", run.Complete, len(run.Samples), run.FailedSamples())
	}
	for _, s := range run.Summaries {
		if s.N != 3 || s.Goodput == nil || s.Goodput.MedianCI == nil {
			t.Errorf("%v: n=%d, goodput %+v", s.Key, s.N, s.Goodput)
		}
	}
	routed := summary(t, run, "datapath=routed", "pod-pod-cross")
	vxlan := summary(t, run, "datapath=vxlan", "pod-pod-cross")
	if routed.Overhead == nil || vxlan.Overhead == nil || vxlan.Floor == nil {
		t.Fatalf("no overhead: routed %+v, vxlan %+v", routed.Overhead, vxlan.Overhead)
	}
	t.Logf("pod-pod-cross overhead: routed %.2f%%, vxlan %.2f%% (floor %.2f%%)", routed.Overhead.Ratio*100, vxlan.Overhead.Ratio*100, vxlan.Floor.Ratio*100)
	if vxlan.Overhead.Ratio <= routed.Overhead.Ratio {
		t.Errorf("vxlan's pod-pod-cross overhead %.2f%% is not above routed's %.2f%%", vxlan.Overhead.Ratio*100, routed.Overhead.Ratio*100)
	}
	if vxlan.Overhead.Ratio < vxlan.Floor.Ratio/2 {
		t.Errorf("vxlan's overhead %.2f%% is far below its header-tax floor %.2f%%", vxlan.Overhead.Ratio*100, vxlan.Floor.Ratio*100)
	}
	if p := run.Path("datapath=vxlan", "pod-pod-cross"); p == nil || !p.Encapsulated || p.HeaderTax != 50 || p.LinkRate != 1e9 {
		t.Errorf("vxlan pod-pod-cross path %+v", p)
	}
}

// TestLabGroundTruth: with the uplinks shaped to 500 Mbit/s, node-node and
// vxlan pod-pod-cross measure what physics predicts, rate × (MTU − tax −
// 52) / (MTU + 14) (docs/lab.md), within the reported 95% CI or 3%.
func TestLabGroundTruth(t *testing.T) {
	const rate = 500e6
	m := LabMatrix{Datapaths: []lab.Datapath{lab.VXLAN}, LinkRates: []uint64{rate}}
	run, err := labRun(t, context.Background(), m, Plan{Repeats: 5, Scenarios: []string{"node-node", "pod-pod-cross"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range []string{"node-node", "pod-pod-cross"} {
		s := summary(t, run, "datapath=vxlan", sc)
		p := run.Path("datapath=vxlan", sc)
		mtu := p.UnderlayMTU
		truth := rate * float64(mtu-p.HeaderTax-52) / float64(mtu+14)
		g := s.Goodput
		dev := (g.Median - truth) / truth
		inCI := g.MedianCI != nil && g.MedianCI.Low <= truth && truth <= g.MedianCI.High
		t.Logf("%s: median %.1f Mbit/s (CI %v), truth %.1f Mbit/s, %+.2f%%", sc, g.Median/1e6, g.MedianCI, truth/1e6, dev*100)
		if !inCI && math.Abs(dev) > 0.03 {
			t.Errorf("%s: median %.1f Mbit/s is %+.2f%% off the ground truth %.1f Mbit/s, outside its CI", sc, g.Median/1e6, dev*100, truth/1e6)
		}
	}
}

// TestLabCancel interrupts runs at random moments (during the lab build,
// between tests, inside a test) and checks that the run returns promptly
// with valid partial JSON marked incomplete, and that nothing of the lab
// is left: no named namespace or mount, no namespace file descriptor, no
// goroutine, and the lab refuses new servers because it was closed.
func TestLabCancel(t *testing.T) {
	testenv.MustBeRoot(t)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)
	fds, gs := nsFDs(t), runtime.NumGoroutine()
	for i, delay := range []time.Duration{
		time.Duration(rng.IntN(40)) * time.Millisecond,                       // building the lab, or starting servers
		time.Second + time.Duration(rng.IntN(2000))*time.Millisecond,         // between or inside the first tests
		500*time.Millisecond + time.Duration(rng.IntN(900))*time.Millisecond, // inside a test, or between two
	} {
		var built *lab.Lab
		vs, err := LabMatrix{LinkRates: []uint64{1e9}}.Variants(lab.NewID()[:5])
		if err != nil {
			t.Fatal(err)
		}
		cfg := vs[0].Config
		v := Variant{Label: vs[0].Label, Open: func(ctx context.Context) (cluster.Cluster, error) {
			l, err := lab.Build(ctx, cfg)
			built = l
			if err != nil {
				return nil, err
			}
			return l, nil
		}}
		ctx, cancel := context.WithCancel(context.Background())
		timer := time.AfterFunc(delay, cancel)
		start := time.Now()
		run, err := RunVariants(ctx, []Variant{v}, Plan{Repeats: 3}, Options{})
		took := time.Since(start)
		timer.Stop()
		cancel()
		t.Logf("cancel %d after %v: %d samples, returned after %v: %v", i, delay, len(run.Samples), took, err)
		if !errors.Is(err, ErrInterrupted) {
			t.Fatalf("cancel %d: error %v, want ErrInterrupted", i, err)
		}
		if took > delay+5*time.Second {
			t.Errorf("cancel %d: took %v to stop", i, took)
		}
		if run.Complete || run.FailedSamples() != 0 {
			t.Errorf("cancel %d: complete %v, %d failed samples (an interrupted test is no sample)", i, run.Complete, run.FailedSamples())
		}
		path := filepath.Join(t.TempDir(), "run.json")
		if err := runrecord.WriteFile(path, run); err != nil {
			t.Fatal(err)
		}
		back, err := runrecord.ReadFile(path)
		if err != nil || back.Complete || len(back.Samples) != len(run.Samples) {
			t.Fatalf("cancel %d: partial JSON: %v", i, err)
		}
		if built != nil {
			if _, err := built.StartServer(context.Background(), cluster.Endpoint{Name: "node-1", Kind: cluster.NodeEndpoint}, 0); err == nil || !strings.Contains(err.Error(), "closed") {
				t.Errorf("cancel %d: the lab was not closed: StartServer says %v", i, err)
			}
		}
		if left, _ := netns.ListNamed("cnibench-" + cfg.ID); len(left) > 0 {
			t.Errorf("cancel %d: named namespaces left: %v", i, left)
		}
		if mounts, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(mounts), "cnibench-"+cfg.ID+"-") {
			t.Errorf("cancel %d: mounts of lab %s left:\n%s", i, cfg.ID, mounts)
		}
	}
	for i := 0; i < 100 && (nsFDs(t) > fds || runtime.NumGoroutine() > gs); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if n := nsFDs(t); n > fds {
		t.Errorf("namespace fds: %d before, %d after", fds, n)
	}
	if n := runtime.NumGoroutine(); n > gs {
		buf := make([]byte, 1<<16)
		t.Errorf("goroutines: %d before, %d after\n%s", gs, n, buf[:runtime.Stack(buf, true)])
	}
}

// nsFDs counts this process's open namespace file descriptors: a lab
// holds one per namespace until it is closed.
func nsFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && strings.HasPrefix(l, "net:[") {
			n++
		}
	}
	return n
}
