package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/runrecord/runrecordtest"
	"github.com/spf13/pflag"
)

// runFlags is a fresh run command's flag set.
func runFlags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	cmd := newRunCommand(Streams{})
	cmd.InitDefaultHelpFlag() // as Execute does
	fs := cmd.Flags()
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	// The lab's timing defaults, as runOptions.timingDefaults gives them
	// before a run records its plan (the flags' own defaults are 0).
	d, om := bench.DefaultTiming(false)
	for name, v := range map[string]time.Duration{"duration": d, "omit": om} {
		if !fs.Changed(name) {
			if err := fs.Lookup(name).Value.Set(v.String()); err != nil {
				t.Fatal(err)
			}
		}
	}
	return fs
}

// TestEveryRunFlagIsAPlanKey fails when a flag of run can be neither in a
// plan nor explicitly left out of one, when a plan key has a type plans
// cannot take, or when an exclusion names no flag any more.
func TestEveryRunFlagIsAPlanKey(t *testing.T) {
	fs := runFlags(t)
	conn := kubeConnFlags()
	fs.VisitAll(func(f *pflag.Flag) {
		_, excluded := notPlanKeys[f.Name]
		switch {
		case excluded || slices.Contains(conn, f.Name):
			if isPlanKey(f.Name) {
				t.Errorf("--%s is excluded from plans but a plan key", f.Name)
			}
		case !slices.Contains(planKeys(fs), f.Name):
			t.Errorf("--%s is no plan key and not listed in notPlanKeys", f.Name)
		}
		if _, ok := valueForm(f.Value.Type()); isPlanKey(f.Name) && !ok {
			t.Errorf("--%s: plans do not know its type %q: add it to valueForm", f.Name, f.Value.Type())
		}
	})
	for name := range notPlanKeys {
		if fs.Lookup(name) == nil {
			t.Errorf("notPlanKeys lists --%s, which run does not have", name)
		}
	}
	for _, name := range unrecordedKeys {
		if fs.Lookup(name) == nil || !isPlanKey(name) {
			t.Errorf("unrecordedKeys lists --%s, which is no plan key of run", name)
		}
	}
	for _, name := range []string{"token", "kubeconfig", "context"} {
		if isPlanKey(name) {
			t.Errorf("--%s, a connection flag, is a plan key", name)
		}
	}
}

func TestApplyPlanErrors(t *testing.T) {
	for _, tc := range []struct {
		name, plan string
		want       []string
	}{
		{"unknown key", "durations: 10s", []string{`plan.yaml: unknown key "durations"`, "duration, ", "repeats"}},
		{"connection flag", "token: secret", []string{`unknown key "token"`}},
		{"not a plan key", "resume: x/run.json", []string{`unknown key "resume"`}},
		{"list for a scalar", "repeats: [1, 2]", []string{"plan.yaml: repeats: takes one value, not a list: a whole number"}},
		{"mapping", "streams: {a: 1}", []string{"plan.yaml: streams: want a list of numbers or ranges"}},
		{"empty value", "duration:", []string{"plan.yaml: duration: want a duration like 10s"}},
		{"bad integer", "repeats: many", []string{`plan.yaml: repeats: invalid value "many"`, "(want a whole number)"}},
		{"bad duration", "omit: soon", []string{`plan.yaml: omit: invalid value "soon"`, "not a duration"}},
		{"bad list item", "streams: [1, x]", []string{"plan.yaml: streams: invalid value [1 x]"}},
		{"nested list", "scenarios: [[a]]", []string{"plan.yaml: scenarios: item 1 is not a plain value"}},
		{"bad bool", "dry-run: maybe", []string{`plan.yaml: dry-run: invalid value "maybe"`, "true or false"}},
		{"every error at once", "repeats: x\nnope: 1", []string{"repeats: invalid value", `unknown key "nope"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := decodePlan([]byte(tc.plan))
			if err == nil {
				err = applyPlan(runFlags(t), plan, "plan.yaml")
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestDecodePlanRefuses(t *testing.T) {
	for _, doc := range []string{"- a\n- b", "just words", "repeats: 1\nrepeats: 2", "a: [b"} {
		if _, err := decodePlan([]byte(doc)); err == nil {
			t.Errorf("%q: no error", doc)
		}
	}
}

// TestCommandLineOverridesPlan: a flag given explicitly wins over the
// plan; the plan sets the rest; a scalar for a list key reads like the flag.
func TestCommandLineOverridesPlan(t *testing.T) {
	fs := runFlags(t, "--repeats", "3", "--protocol", "udp")
	plan, err := decodePlan([]byte("repeats: 9\nprotocol: [tcp]\nduration: 5\nstreams: 1,4\nseed: 18446744073709551615\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := applyPlan(fs, plan, "plan.yaml"); err != nil {
		t.Fatal(err)
	}
	for flag, want := range map[string]string{"repeats": "3", "protocol": "[udp]", "duration": "5s", "streams": "[1,4]", "seed": "18446744073709551615"} {
		if got := fs.Lookup(flag).Value.String(); got != want {
			t.Errorf("--%s = %s, want %s", flag, got, want)
		}
	}
}

// TestRecordedPlanRepeats: the plan a record embeds, read back from JSON,
// sets every flag to what the run used, and only flags of its cluster.
func TestRecordedPlanRepeats(t *testing.T) {
	for _, tc := range []struct {
		cluster string
		args    []string
	}{
		{"lab", []string{"--datapath", "routed,vxlan", "--streams", "1,4", "--duration", "2", "--udp-rate", "100M", "--out-dir", "x", "-o", "json"}},
		{"kube", []string{"--cluster", "kube", "--nodes", "a,b", "--toleration", "x=y:NoSchedule", "--toleration", "z", "--image", "r/c:1", "--context", "prod"}},
	} {
		t.Run(tc.cluster, func(t *testing.T) {
			first := runFlags(t, tc.args...)
			plan := recordedPlan(first, tc.cluster, 42)
			for _, k := range append(slices.Clone(unrecordedKeys), "context") {
				if _, ok := plan[k]; ok {
					t.Errorf("the recorded plan holds %s", k)
				}
			}
			js, err := json.Marshal(plan)
			if err != nil {
				t.Fatal(err)
			}
			back, err := decodePlan(js)
			if err != nil {
				t.Fatal(err)
			}
			again := runFlags(t)
			if err := applyPlan(again, back, "run.json"); err != nil {
				t.Fatal(err)
			}
			if err := checkClusterFlags(again, tc.cluster); err != nil {
				t.Errorf("the repeat's flags: %v", err)
			}
			if got := recordedPlan(again, tc.cluster, 42); !reflect.DeepEqual(got, plan) {
				t.Errorf("repeat plans\n%v\nthe record holds\n%v", got, plan)
			}
			if got := again.Lookup("seed").Value.String(); got != "42" {
				t.Errorf("seed %s, want the recorded 42", got)
			}
		})
	}
}

// TestRunFromRecordAndPlanFile: `run -f` and `run --from` plan what the
// flags planned, in the same order; given flags override them.
func TestRunFromRecordAndPlanFile(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--datapath", "vxlan", "--scenarios", "pod-pod-cross", "--repeats", "4", "--seed", "7"}
	want, _, err := runCommand(t, newRunCommand, append(args, "--dry-run")...)
	if err != nil {
		t.Fatal(err)
	}
	rec := runrecordtest.Build(runrecordtest.Options{})
	rec.PlanFile = recordedPlan(runFlags(t, args...), "lab", 7)
	path := filepath.Join(dir, "run.json")
	if err := runrecord.WriteFile(path, rec); err != nil {
		t.Fatal(err)
	}
	planPath := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(planPath, []byte("datapath: vxlan\nscenarios: [pod-pod-cross]\nrepeats: 4\nseed: 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, given := range [][]string{{"--from", path}, {"-f", planPath}} {
		got, errOut, err := runCommand(t, newRunCommand, append(given, "--dry-run")...)
		if err != nil || got != want {
			t.Errorf("%v: %v %s\n%s\nwant\n%s", given, err, errOut, got, want)
		}
	}
	got, _, err := runCommand(t, newRunCommand, "--from", path, "--repeats", "2", "--dry-run")
	if err != nil || !strings.Contains(got, "× 2 repeats") {
		t.Errorf("--repeats 2 does not override the record: %v\n%s", err, got)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-f", planPath, "--from", path}, "use one"},
		{[]string{"--resume", path, "--from", path}, "drop -f and --from"},
		{[]string{"-f", filepath.Join(dir, "none.yaml")}, "none.yaml: no such file"},
		{[]string{"--from", planPath}, "--from"},
	} {
		if _, _, err := runCommand(t, newRunCommand, append(tc.args, "--dry-run")...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error with %q", tc.args, err, tc.want)
		}
	}
	rec.PlanFile = nil
	if err := runrecord.WriteFile(path, rec); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCommand(t, newRunCommand, "--from", path, "--dry-run"); err == nil || !strings.Contains(err.Error(), "has no plan") {
		t.Errorf("a record without a plan: %v", err)
	}
}

// TestDocsPlanExample loads the example plan of docs/run.md: it must stay
// a valid plan.
func TestDocsPlanExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/run.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(# plan\\.yaml.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/run.md has no ```yaml block starting \"# plan.yaml\"")
	}
	plan, err := decodePlan(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) < 8 {
		t.Errorf("the example sets %d keys: show more of what a plan holds", len(plan))
	}
	path := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(path, m[1], 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runCommand(t, newRunCommand, "-f", path, "--dry-run")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	t.Logf("the example's dry run:\n%s", out)
}
