package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/testenv"
)

const module = "github.com/cnibench/cnibench/"

// rule says that no package matching pkgs may depend, directly or not, on
// a package matching one of forbid. Patterns are module-relative import
// paths; "x/..." is x and everything under it, "..." is the whole module.
// A pending rule is one the code does not keep yet (work under way): the
// test logs its violations instead of failing, and says when it holds, so
// the integrator can flip pending off.
type rule struct {
	pkgs    []string
	except  []string
	forbid  []string
	why     string
	pending bool
}

var rules = []rule{
	{pkgs: []string{"internal/iperf3"}, forbid: []string{"internal/engine", "internal/cluster/...", "internal/bench", "internal/cli"},
		why: "the wire protocol is the bottom of cli → bench → cluster/* → engine → iperf3"},
	{pkgs: []string{"internal/engine"}, forbid: []string{"internal/cluster/...", "internal/bench", "internal/cli"},
		why: "the engine knows nothing of clusters or runs"},
	{pkgs: []string{"internal/agent"}, forbid: []string{"internal/cluster/...", "internal/bench", "internal/cli"},
		why: "the in-pod protocol is shared by the kube backend and the CLI, so it depends on neither"},
	{pkgs: []string{"internal/cluster/..."}, forbid: []string{"internal/bench", "internal/cli"},
		why: "clusters serve runs, they do not plan them"},
	{pkgs: []string{"internal/cluster/clustertest"}, forbid: []string{"internal/cluster/lab", "internal/cluster/kube"},
		why: "every backend runs the conformance suite from its tests, so the suite imports none"},
	{pkgs: []string{"internal/bench/..."}, forbid: []string{"internal/cli"},
		why: "bench is below the CLI"},
	{pkgs: []string{"internal/bench/..."}, forbid: []string{"internal/cluster/lab", "internal/cluster/kube"},
		why: "bench runs any cluster.Cluster; the CLI picks the backend"},
	{pkgs: []string{"internal/stats"}, forbid: []string{"..."},
		why: "statistics are numbers in, numbers out"},
	{pkgs: []string{"internal/ratesearch", "internal/mesh", "internal/nodecpu", "internal/delayline"}, forbid: []string{"..."},
		why: "building blocks take their inputs as plain values or functions, so any command can use them"},
	{pkgs: []string{"internal/report", "internal/runrecord"}, forbid: []string{"internal/cluster/...", "internal/engine", "internal/bench"},
		why: "a run record is read and rendered without the code that measured it"},
	{pkgs: []string{"internal/meshrecord/...", "internal/meshreport"}, forbid: []string{"internal/cluster/...", "internal/engine", "internal/bench", "internal/meshrun"},
		why: "a mesh record is read and rendered without the code that measured it"},
	{pkgs: []string{"internal/meshrun"}, forbid: []string{"internal/cli", "internal/bench", "internal/cluster/lab", "internal/cluster/kube"},
		why: "the mesh runs any cluster.Cluster; the CLI picks the backend"},
	{pkgs: []string{"..."}, except: []string{"internal/cli", "cmd/..."}, forbid: []string{"internal/cli"},
		why: "only the commands build on the CLI"},
}

// pkg is one package of the module as go list reports it.
type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
}

// match reports whether the module-relative path p matches pattern.
func match(pattern, p string) bool {
	if pattern == "..." {
		return true
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return p == base || strings.HasPrefix(p, base+"/")
	}
	return p == pattern
}

func matchAny(patterns []string, p string) bool {
	return slices.ContainsFunc(patterns, func(pat string) bool { return match(pat, p) })
}

// listPackages runs `go list -deps -json ./...` at the module's root and
// returns the module's own packages, by module-relative path, with their
// imports made module-relative too (others dropped).
func listPackages(t *testing.T) map[string]pkg {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		testenv.SkipOrFail(t, "the go command is not on PATH (go list reads the import graph)")
	}
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports,Deps,Standard", "./...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	ours := func(paths []string) []string {
		var rel []string
		for _, p := range paths {
			if r, ok := strings.CutPrefix(p, module); ok {
				rel = append(rel, r)
			}
		}
		return rel
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		rel, ok := strings.CutPrefix(p.ImportPath, module)
		if p.Standard || !ok {
			continue
		}
		p.ImportPath, p.Imports, p.Deps = rel, ours(p.Imports), ours(p.Deps)
		pkgs[rel] = p
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages of %s: is the test run from inside the module?", len(pkgs), module)
	}
	return pkgs
}

// chain is an import chain from one package to another, for the message:
// "internal/bench → internal/cluster/lab".
func chain(pkgs map[string]pkg, from, to string) string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == to {
			path := []string{p}
			for p = prev[p]; p != ""; p = prev[p] {
				path = append([]string{p}, path...)
			}
			return strings.Join(path, " → ")
		}
		for _, next := range pkgs[p].Imports {
			if _, seen := prev[next]; !seen {
				prev[next] = p
				queue = append(queue, next)
			}
		}
	}
	return from + " → … → " + to
}

// check returns whether r applies to any package, and its violations as
// import chains.
func check(pkgs map[string]pkg, r rule) (matched bool, violations []string) {
	names := make([]string, 0, len(pkgs))
	for p := range pkgs {
		names = append(names, p)
	}
	slices.Sort(names)
	for _, name := range names {
		if !matchAny(r.pkgs, name) || matchAny(r.except, name) {
			continue
		}
		matched = true
		for _, dep := range pkgs[name].Deps {
			if matchAny(r.forbid, dep) {
				violations = append(violations, chain(pkgs, name, dep))
			}
		}
	}
	return matched, violations
}

// TestImportRules checks every rule against the module's import graph.
func TestImportRules(t *testing.T) {
	pkgs := listPackages(t)
	for _, r := range rules {
		matched, violations := check(pkgs, r)
		head := strings.Join(r.pkgs, ", ") + " must not import " + strings.Join(r.forbid, ", ") + " (" + r.why + ")"
		switch {
		case !matched:
			t.Errorf("rule %q matches no package: a package was renamed; fix the rule", head)
		case r.pending && len(violations) > 0:
			t.Logf("pending rule %s: still violated by\n\t%s", head, strings.Join(violations, "\n\t"))
		case r.pending:
			t.Logf("pending rule %s now holds: set pending to false in internal/archtest so it stays true", head)
		case len(violations) > 0:
			t.Errorf("import rule broken: %s\n\t%s", head, strings.Join(violations, "\n\t"))
		}
	}
}

// TestCheck: a rule finds an indirect import and names the chain, and
// "except" and unmatched patterns behave.
func TestCheck(t *testing.T) {
	pkgs := map[string]pkg{
		"internal/bench":       {Imports: []string{"internal/cluster/lab"}, Deps: []string{"internal/cluster", "internal/cluster/lab", "internal/engine"}},
		"internal/cluster/lab": {Imports: []string{"internal/cluster"}, Deps: []string{"internal/cluster", "internal/engine"}},
		"internal/cluster":     {Imports: []string{"internal/engine"}, Deps: []string{"internal/engine"}},
		"internal/engine":      {},
		"internal/cli":         {Imports: []string{"internal/bench"}, Deps: []string{"internal/bench", "internal/cluster", "internal/cluster/lab", "internal/engine"}},
	}
	for _, tc := range []struct {
		name    string
		r       rule
		matched bool
		want    []string
	}{
		{"indirect", rule{pkgs: []string{"internal/bench"}, forbid: []string{"internal/engine"}}, true,
			[]string{"internal/bench → internal/cluster/lab → internal/cluster → internal/engine"}},
		{"kept", rule{pkgs: []string{"internal/engine"}, forbid: []string{"..."}}, true, nil},
		{"except", rule{pkgs: []string{"..."}, except: []string{"internal/cli"}, forbid: []string{"internal/bench"}}, true, nil},
		{"no package", rule{pkgs: []string{"internal/gone"}, forbid: []string{"..."}}, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			matched, got := check(pkgs, tc.r)
			if matched != tc.matched || !slices.Equal(got, tc.want) {
				t.Errorf("check = %v, %q; want %v, %q", matched, got, tc.matched, tc.want)
			}
		})
	}
}

// TestMatch pins the pattern syntax the rules use.
func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		want          bool
	}{
		{"internal/cluster/...", "internal/cluster", true},
		{"internal/cluster/...", "internal/cluster/kube", true},
		{"internal/cluster/...", "internal/clustertest", false},
		{"internal/engine", "internal/engine", true},
		{"internal/engine", "internal/engine/x", false},
		{"...", "cmd/cnibench", true},
	} {
		if got := match(tc.pattern, tc.path); got != tc.want {
			t.Errorf("match(%q, %q) = %v, want %v", tc.pattern, tc.path, got, tc.want)
		}
	}
}
