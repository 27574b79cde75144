package bench

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/cnibench/cnibench/internal/netns"
	"github.com/cnibench/cnibench/internal/report"
	"github.com/cnibench/cnibench/internal/runid"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
	"github.com/cnibench/cnibench/internal/testenv"
)

// End-to-end tests on the real lab: they build labs (root, or fail under
// CNIBENCH_REQUIRE_PRIVILEGED=1) and keep to short tests, about 100 s in all.

// labRun runs plan on the lab matrix m, over each of families when
// given (SweepFamilies), and logs the table.
func labRun(t *testing.T, ctx context.Context, m lab.Matrix, p Plan, ev Events, families ...cluster.Family) (*runrecord.Run, error) {
	t.Helper()
	return labRunVariants(t, ctx, m, p, ev, func(vs []Variant) []Variant { return SweepFamilies(vs, families) })
}

// labRunVariants is labRun with the matrix's variants multiplied as a
// command line's sweeps would (SweepFamilies, SweepVariants).
func labRunVariants(t *testing.T, ctx context.Context, m lab.Matrix, p Plan, ev Events, sweep func([]Variant) []Variant) (*runrecord.Run, error) {
	t.Helper()
	testenv.MustBeRoot(t)
	id := runid.New()[:5]
	vs, err := m.Variants(id)
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.SupportedAll(vs); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	bvs := make([]Variant, len(vs))
	for i, v := range vs {
		bvs[i] = Variant{Label: v.Label, Open: v.Open}
	}
	run, err := RunVariants(ctx, sweep(bvs), p, Options{ID: id, Events: ev})
	if run != nil {
		var b strings.Builder
		_, _ = report.Write(run, report.Options{Out: &b})
		t.Logf("%v:\n%s", time.Since(start).Round(time.Millisecond), b.String())
	}
	return run, err
}

func summary(t *testing.T, run *runrecord.Run, variant, scenario string) *stats.Summary {
	t.Helper()
	s := run.Summary(stats.Key{Variant: variant, Scenario: scenario, Protocol: stats.TCP, Streams: 1})
	if s == nil || s.Goodput == nil {
		t.Fatalf("%s %s: no figures", variant, scenario)
	}
	return s
}

// TestLabMatrixRoutedVXLAN runs the full default matrix on routed and
// vxlan (uplinks at 1 Gbit/s, as `cnibench run` shapes them by default):
// every test completes, and encapsulation shows as pod-pod-cross overhead
// that routed does not have, near vxlan's header-tax floor; pod-pod-same
// is compared with node-node-same (checkSameNode). The figures'
// claims are measured again when the run was CPU-starved
// (testenv.UnlessStarved); what the run recorded must hold every time.
func TestLabMatrixRoutedVXLAN(t *testing.T) {
	m := lab.Matrix{Datapaths: []lab.Datapath{lab.Routed, lab.VXLAN}, LinkRates: []uint64{1e9}}
	testenv.UnlessStarved(t, func() (hard, soft []string) {
		run, err := labRun(t, context.Background(), m, Plan{Repeats: 3}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !run.Complete || run.FailedSamples() != 0 || len(run.Samples) != 2*defaultScenarios()*3 {
			t.Fatalf("complete %v, %d samples, %d failed", run.Complete, len(run.Samples), run.FailedSamples())
		}
		for _, s := range run.Summaries {
			// 3 samples: the mean's interval, and honestly none for the median
			// (no interval of 3 values covers it 95% of the time)
			if s.N != 3 || s.Goodput == nil || s.Goodput.MeanCI == nil || s.Goodput.MedianCI != nil {
				hard = append(hard, fmt.Sprintf("%v: n=%d, goodput %+v", s.Key, s.N, s.Goodput))
			}
			// Latency: every test timed its handshakes, all connected, and the
			// lab's paths take well under a millisecond when idle.
			switch r := s.ConnectRTT; {
			case r == nil || r.N != 3:
				hard = append(hard, fmt.Sprintf("%v: connect RTT %+v, want 3 tests' medians", s.Key, r))
			case !(r.Median > 0 && r.Median < 1000):
				soft = append(soft, fmt.Sprintf("%v: connect RTT median %.0f µs, want it in (0, 1000) µs", s.Key, r.Median))
			default:
				t.Logf("%v: connect RTT %.0f µs", s.Key, r.Median)
			}
		}
		for _, sm := range run.Samples {
			if r := sm.Result.ConnectRTT; r == nil || r.Probes != DefaultRTTProbes || r.Failed != 0 {
				hard = append(hard, fmt.Sprintf("%s #%d: connect RTT %+v, want %d probes, none failed", sm.Scenario, sm.Repeat, r, DefaultRTTProbes))
			}
		}
		if p := run.Path("datapath=vxlan", "pod-pod-cross"); p == nil || !p.Encapsulated || p.HeaderTax != 50 || p.LinkRate != 1e9 {
			hard = append(hard, fmt.Sprintf("vxlan pod-pod-cross path %+v", p))
		}
		routed := summary(t, run, "datapath=routed", "pod-pod-cross")
		vxlan := summary(t, run, "datapath=vxlan", "pod-pod-cross")
		if routed.Overhead == nil || vxlan.Overhead == nil || vxlan.Floor == nil {
			t.Fatalf("no overhead: routed %+v, vxlan %+v", routed.Overhead, vxlan.Overhead)
		}
		t.Logf("pod-pod-cross overhead: routed %.2f%%, vxlan %.2f%% (floor %.2f%%)", routed.Overhead.Ratio*100, vxlan.Overhead.Ratio*100, vxlan.Floor.Ratio*100)
		if vxlan.Overhead.Ratio <= routed.Overhead.Ratio {
			soft = append(soft, fmt.Sprintf("vxlan's pod-pod-cross overhead %.2f%% is not above routed's %.2f%%", vxlan.Overhead.Ratio*100, routed.Overhead.Ratio*100))
		}
		if vxlan.Overhead.Ratio < vxlan.Floor.Ratio/2 {
			soft = append(soft, fmt.Sprintf("vxlan's overhead %.2f%% is far below its header-tax floor %.2f%%", vxlan.Overhead.Ratio*100, vxlan.Floor.Ratio*100))
		}
		h, so := checkSameNode(t, run, []string{"datapath=routed", "datapath=vxlan"})
		return append(hard, h...), append(soft, so...)
	})
}

// TestLabGroundTruth: with the uplinks shaped to 500 Mbit/s, node-node and
// vxlan pod-pod-cross measure what physics predicts, rate × (MTU − tax −
// 52) / (MTU + 14) (docs/lab.md), within the reported 95% CI or 3%. Above
// it fails at once; below it fails when the run had its CPU, and is
// measured again when it did not (testenv.UnlessStarved).
func TestLabGroundTruth(t *testing.T) {
	const rate = 500e6
	m := lab.Matrix{Datapaths: []lab.Datapath{lab.VXLAN}, LinkRates: []uint64{rate}}
	testenv.UnlessStarved(t, func() (over, short []string) {
		run, err := labRun(t, context.Background(), m, Plan{Repeats: 5, Scenarios: []string{"node-node", "pod-pod-cross"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range []string{"node-node", "pod-pod-cross"} {
			s := summary(t, run, "datapath=vxlan", sc)
			p := run.Path("datapath=vxlan", sc)
			over, short = groundTruthMiss(t, sc, s.Goodput, rate*float64(p.UnderlayMTU-p.HeaderTax-52)/float64(p.UnderlayMTU+14), over, short)
		}
		return over, short
	})
}

// groundTruthMiss adds to over (or short) a scenario whose median goodput
// is above (or below) truth by more than 3% while its 95% CI does not hold
// truth either: a shaped link allows no more than its rate, a CPU-starved
// run may fall short (testenv.UnlessStarved).
func groundTruthMiss(t *testing.T, sc string, g *stats.Estimate, truth float64, over, short []string) ([]string, []string) {
	t.Helper()
	dev := (g.Median - truth) / truth
	inCI := g.MedianCI != nil && g.MedianCI.Low <= truth && truth <= g.MedianCI.High
	t.Logf("%s: median %.1f Mbit/s (CI %v), truth %.1f Mbit/s, %+.2f%%", sc, g.Median/1e6, g.MedianCI, truth/1e6, dev*100)
	if !inCI && math.Abs(dev) > 0.03 {
		f := fmt.Sprintf("%s: median %.1f Mbit/s is %+.2f%% off the ground truth %.1f Mbit/s, outside its CI", sc, g.Median/1e6, dev*100, truth/1e6)
		if dev > 0 {
			return append(over, f), short
		}
		return over, append(short, f)
	}
	return over, short
}

// TestLabCompare is `cnibench compare` on lab runs, through the run
// records as the command reads them: a routed run against a vxlan run
// shows pod-pod-cross's encapsulation cost as a significant fall (a
// regression beyond 1%), and a routed run against its own re-run shows no
// change worth acting on. Three runs of node-node and pod-pod-cross, 6
// repeats of 1 s each: about 37 s. With 6 against 6, Mann-Whitney calls a
// difference significant even when 5 of the 36 pairs are the wrong way
// round (5 against 5 tolerates 2).
//
// Both claims are about a quiet lab, where 1 s tests at a shaped 1 Gbit/s
// vary by 0.1-0.9% (CV, the largest group of an attempt, on the 2-core
// VM). When the cores are busy with other work (under `go test ./...`
// other packages' tests run beside this one), some tests lose 5-15% (CVs
// of 3% and more) and both claims can fail with nothing wrong in cnibench.
// So a failure counts at once when every group of the attempt was quiet
// (CV at most quietCV); a failure of disturbed runs counts when this
// process had its CPU, and is measured again when it was CPU-starved
// (testenv.UnlessStarved).
func TestLabCompare(t *testing.T) {
	testenv.MustBeRoot(t)
	testenv.UnlessStarved(t, func() (hard, soft []string) {
		failures, cv := compareOnLab(t, t.TempDir())
		if cv <= quietCV {
			return failures, nil
		}
		if len(failures) > 0 {
			t.Logf("the runs were disturbed (a CV of %.2f%% > %.1f%%)", cv*100, quietCV*100)
		}
		return nil, failures
	})
}

// quietCV is the largest coefficient of variation of a quiet lab's group of
// 1 s tests at 1 Gbit/s: they measure 0.1-0.9%.
const quietCV = 0.01

// compareOnLab measures a routed run, its re-run and a vxlan run, compares
// them as `cnibench compare` does, and returns what went against the
// claims and the largest CV of any group measured.
func compareOnLab(t *testing.T, dir string) (failures []string, maxCV float64) {
	t.Helper()
	plan := Plan{Repeats: 6, Scenarios: []string{"node-node", "pod-pod-cross"}}
	save := func(name string, d lab.Datapath) string {
		t.Helper()
		run, err := labRun(t, context.Background(), lab.Matrix{Datapaths: []lab.Datapath{d}, LinkRates: []uint64{1e9}}, plan, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !run.Complete || run.FailedSamples() != 0 {
			t.Fatalf("%s: complete %v, %d failed samples", name, run.Complete, run.FailedSamples())
		}
		for _, s := range run.Summaries {
			if s.Goodput != nil && s.Goodput.CV != nil {
				maxCV = max(maxCV, *s.Goodput.CV)
			}
		}
		path := filepath.Join(dir, name+".json")
		if err := runrecord.WriteFile(path, run); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// The re-run right after its run, so that little time separates them.
	routed, rerun, vxlan := save("routed", lab.Routed), save("rerun", lab.Routed), save("vxlan", lab.VXLAN)
	t.Logf("largest CV of a group: %.2f%%", maxCV*100)
	regression := 1.0
	compare := func(old, new string) *report.Comparison {
		t.Helper()
		var b strings.Builder
		c, err := report.CompareFiles([]string{old}, []string{new}, report.CompareFilesOptions{
			CompareOptions: report.CompareOptions{RegressionPct: &regression}, Format: report.Table, Out: &b,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("compare %s %s:\n%s", filepath.Base(old), filepath.Base(new), b.String())
		if len(c.Rows) != 2 {
			t.Fatalf("%d rows, want node-node and pod-pod-cross", len(c.Rows))
		}
		for _, r := range c.Rows {
			if r.Status != report.RowOK || r.Delta == nil {
				t.Fatalf("%s: status %s, note %q", r.Label(), r.Status, r.Note)
			}
		}
		return c
	}

	// Routed against vxlan: vxlan's 50-byte header tax costs pod-pod-cross
	// 3.45% on a shaped link (docs/statistics.md), far more than a quiet
	// lab's spread: the groups do not overlap.
	for _, r := range compare(routed, vxlan).Rows {
		if d := r.Delta; r.Scenario == "pod-pod-cross" && (d.CI == nil || d.CI.High >= -0.01 || d.Change > -0.02 || d.Change < -0.06 || !r.Regression) {
			failures = append(failures, fmt.Sprintf("routed → vxlan pod-pod-cross: change %+.2f%% (CI %+v, p %.4f, regression %v), want a fall of 2-6%% beyond the 1%% threshold",
				d.Change*100, d.CI, d.AdjustedP, r.Regression))
		}
	}

	// A run against its own re-run: nothing changed, so the expected
	// answer is "~", but even a quiet lab cannot guarantee it. At α = 0.05
	// each row is called significant by chance one time in twenty; and the
	// lab is so steady that a shift of 0.1-0.3% between two runs (each
	// builds its own lab, and the machine's other work changes) can put all
	// 6 samples of one run above all 6 of the other, which a rank test
	// calls significant however small the shift. What must hold is that
	// the re-run shows no change a user would act on: not significant, or
	// smaller than 1%.
	for _, r := range compare(routed, rerun).Rows {
		significant := r.Delta.CI != nil && !r.Delta.CI.Contains(0)
		switch d := r.Delta; {
		case r.Regression || significant && math.Abs(d.Change) >= 0.01:
			failures = append(failures, fmt.Sprintf("routed → routed re-run %s: change %+.2f%% (CI %+v, regression %v), want none of 1%% or more",
				r.Label(), d.Change*100, d.CI, r.Regression))
		case significant:
			t.Logf("routed → routed re-run %s: interval excludes 0 by chance or drift, %+.2f%% (CI %+v): below 1%%", r.Label(), d.Change*100, d.CI)
		}
	}
	return failures, maxCV
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
		vs, err := lab.Matrix{LinkRates: []uint64{1e9}}.Variants(runid.New()[:5])
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

// TestLabPolicyCostsLatency: 20000 non-matching policy rules in each
// node's forward path (what a large NetworkPolicy set costs) add a
// significant connect RTT to pod-pod-cross, which is forwarded, and
// nothing to node-node, which is not; without rules pod-pod-cross adds
// little. Measured: +602 µs with 20000 rules, +10 µs without.
func TestLabPolicyCostsLatency(t *testing.T) {
	m := lab.Matrix{PolicyRules: []int{0, 20000}, LinkRates: []uint64{1e9}}
	// 6 repeats: the table's 4 tests are Holm-corrected together, and 4
	// against 4 (smallest p 0.029) could not survive the correction
	run, err := labRun(t, context.Background(), m, Plan{Repeats: 6, Scenarios: []string{"node-node", "pod-pod-cross"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	none := summary(t, run, "datapath=routed,policy-rules=0", "pod-pod-cross")
	many := summary(t, run, "datapath=routed,policy-rules=20000", "pod-pod-cross")
	if none.RTTDelta == nil || many.RTTDelta == nil {
		t.Fatalf("no RTT delta: %+v, %+v", none.RTTDelta, many.RTTDelta)
	}
	t.Logf("pod-pod-cross RTT +: %.0f µs without rules, %.0f µs with 20000 (p=%.3f)", none.RTTDelta.DeltaUs, many.RTTDelta.DeltaUs, many.RTTDelta.AdjustedP)
	if !many.RTTDelta.Significant || many.RTTDelta.DeltaUs < 100 {
		t.Errorf("20000 rules add %.0f µs (significant %v), want a significant 100 µs or more", many.RTTDelta.DeltaUs, many.RTTDelta.Significant)
	}
	if none.RTTDelta.DeltaUs > 100 {
		t.Errorf("without rules pod-pod-cross adds %.0f µs, want well under the rules' cost", none.RTTDelta.DeltaUs)
	}
	b0, b1 := summary(t, run, "datapath=routed,policy-rules=0", "node-node"), summary(t, run, "datapath=routed,policy-rules=20000", "node-node")
	if d := b1.ConnectRTT.Median - b0.ConnectRTT.Median; d > 100 {
		t.Errorf("node-node, never forwarded, gained %.0f µs with the rules", d)
	}
}

// checkSameNode checks the matrix run's same-node paths: on the shaped lab
// pod-pod-same never meets the shaped link, so against node-node it
// measured ~-1600%. It is compared with node-node-same instead (node-1's
// host network to node-1's own address, through lo, MTU 65536, no
// underlay, measured in the same rounds), and its overhead is a small,
// true cost of the pod network inside a node (veths and the bridge or
// routes against lo), within sameNodeBand (soft: both paths are
// CPU-bound), with a floor of 0. That naming pod-pod-same alone brings
// node-node-same is the plan's (TestScenarioSelection).
func checkSameNode(t *testing.T, run *runrecord.Run, variants []string) (hard, soft []string) {
	t.Helper()
	for _, sm := range run.Samples {
		if sm.Scenario == runrecord.LocalBaselineScenario {
			want := lab.NodeIP(1).String() + ":"
			if sm.From != "node-1" || sm.To != "node-1" || !strings.HasPrefix(sm.Result.Remote, want) {
				hard = append(hard, fmt.Sprintf("node-node-same #%d ran %s → %s at %s, want node-1 → its own address %s", sm.Repeat, sm.From, sm.To, sm.Result.Remote, want))
			}
		}
	}
	for _, v := range variants {
		if p := run.Path(v, runrecord.LocalBaselineScenario); p == nil || p.Datapath != "host" || p.MTU != lab.LoopbackMTU || p.UnderlayMTU != 0 || p.LinkRate != 0 {
			hard = append(hard, fmt.Sprintf("%s node-node-same path %+v, want host through lo (MTU %d), no underlay, unshaped", v, p, lab.LoopbackMTU))
		}
		local := summary(t, run, v, runrecord.LocalBaselineScenario)
		cross := summary(t, run, v, runrecord.BaselineScenario)
		same := summary(t, run, v, "pod-pod-same")
		if !local.Baseline || same.BaselineScenario != runrecord.LocalBaselineScenario || same.Overhead == nil || same.Floor == nil {
			hard = append(hard, fmt.Sprintf("%s: node-node-same baseline %v; pod-pod-same compared with %q, overhead %+v, floor %+v",
				v, local.Baseline, same.BaselineScenario, same.Overhead, same.Floor))
			continue
		}
		o := same.Overhead
		t.Logf("%s: node-node %.0f Mbit/s, node-node-same %.2f Gbit/s, pod-pod-same %.2f Gbit/s: overhead %.1f%% (CI %v, p %.3g), against node-node it would be %.0f%%",
			v, cross.Goodput.Median/1e6, local.Goodput.Median/1e9, same.Goodput.Median/1e9, o.Ratio*100, o.CI, o.AdjustedP,
			(1-same.Goodput.Median/cross.Goodput.Median)*100)
		if o.Ratio < sameNodeBand[0] || o.Ratio > sameNodeBand[1] {
			soft = append(soft, fmt.Sprintf("%s: pod-pod-same overhead %.1f%% against node-node-same, want it within %.0f%%..%.0f%%",
				v, o.Ratio*100, sameNodeBand[0]*100, sameNodeBand[1]*100))
		}
		if same.Floor.Ratio != 0 || same.Floor.Kind != stats.FloorNone {
			hard = append(hard, fmt.Sprintf("%s: pod-pod-same floor %+v, want 0: nothing crosses a link", v, same.Floor))
		}
	}
	return hard, soft
}

// sameNodeBand bounds pod-pod-same's overhead against node-node-same on the
// shaped lab. Measured on the 2-core VM shared with other work (3 runs of
// this test, routed/vxlan): 29.5/47.2%, 55.2/55.5%, 40.9/30.8%
// (node-node-same 5.9-27.2 Gbit/s, pod-pod-same 2.9-16.5 Gbit/s; against
// node-node the same samples gave −214% to −1621%). Both paths are CPU-bound, so the figure
// moves with the load; the band says what matters: a cost of the same
// order as the bare path, not the ±1000% of a comparison with the wire.
var sameNodeBand = [2]float64{-0.10, 0.80}
