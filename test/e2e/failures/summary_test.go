package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// stream builds test2json lines: pkg, test, action, output.
func stream(t *testing.T, events ...[4]string) string {
	t.Helper()
	var b strings.Builder
	for _, e := range events {
		line, err := json.Marshal(event{Package: e[0], Test: e[1], Action: e[2], Output: e[3]})
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

func TestFilter(t *testing.T) {
	const pkg = "example.com/e2e/kube"
	tests := []struct {
		name       string
		in         string
		wantFailed bool
		wantText   []string // in order, in the whole output
		notInTail  []string // not in what follows the summary's header
	}{
		{
			name: "passing run: the text, no summary",
			in: stream(t,
				[4]string{pkg, "TestA", "run", ""},
				[4]string{pkg, "TestA", "output", "=== RUN   TestA\n"},
				[4]string{pkg, "TestA", "output", "    a_test.go:3: hello\n"},
				[4]string{pkg, "TestA", "pass", ""},
				[4]string{pkg, "", "output", "ok  \texample.com/e2e/kube\t1.0s\n"},
				[4]string{pkg, "", "pass", ""},
			),
			wantText: []string{"=== RUN   TestA\n", "    a_test.go:3: hello\n", "ok  \texample.com"},
		},
		{
			name: "failed subtest: its own lines repeated at the end, not its parent's or a passing sibling's",
			in: stream(t,
				[4]string{pkg, "TestKube", "output", "=== RUN   TestKube\n"},
				[4]string{pkg, "TestKube/vxlan", "output", "=== RUN   TestKube/vxlan\n"},
				[4]string{pkg, "TestKube/vxlan", "output", "    x.go:1: time=now level=INFO msg=\"e2e cluster\"\n"},
				[4]string{pkg, "TestKube/vxlan", "output", "    kube_test.go:61: p50 not significantly above\n"},
				[4]string{pkg, "TestKube/vxlan", "output", "    kube_test.go:205: namespace deleted\n"},
				[4]string{pkg, "TestKube/vxlan", "fail", ""},
				[4]string{pkg, "TestKube/hostgw", "output", "    kube_test.go:198: sibling passed\n"},
				[4]string{pkg, "TestKube/hostgw", "pass", ""},
				[4]string{pkg, "TestKube", "output", "--- FAIL: TestKube (1.00s)\n"},
				[4]string{pkg, "TestKube", "fail", ""},
				[4]string{pkg, "", "output", "FAIL\n"},
				[4]string{pkg, "", "fail", ""},
			),
			wantFailed: true,
			wantText: []string{
				"kube_test.go:61", "sibling passed", "FAIL\n",
				"== what each failed test said (1;", "--- FAIL: TestKube/vxlan\n",
				"    kube_test.go:61: p50 not significantly above\n", "    kube_test.go:205: namespace deleted\n",
			},
			notInTail: []string{"level=INFO", "sibling passed", "=== RUN", "--- FAIL: TestKube\n"},
		},
		{
			name: "package failed without a failed test: the package's lines",
			in: stream(t,
				[4]string{pkg, "", "build-output", "kube_test.go:9:2: undefined: foo\n"},
				[4]string{pkg, "", "output", "FAIL\texample.com/e2e/kube [build failed]\n"},
				[4]string{pkg, "", "fail", ""},
			),
			wantFailed: true,
			wantText:   []string{"undefined: foo", "--- FAIL: package example.com/e2e/kube\n", "undefined: foo"},
		},
		{
			name:     "a line that is not an event passes through",
			in:       "# example.com/e2e/kube\nnot json {\n",
			wantText: []string{"# example.com/e2e/kube\n", "not json {\n"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			failed, err := filter(strings.NewReader(tc.in), &out)
			if err != nil {
				t.Fatal(err)
			}
			if failed != tc.wantFailed {
				t.Errorf("failed = %v, want %v", failed, tc.wantFailed)
			}
			got := out.String()
			rest := got
			for _, w := range tc.wantText {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks %q after what came before it:\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
			if _, tail, ok := strings.Cut(got, "== what each failed test said"); ok {
				for _, n := range tc.notInTail {
					if strings.Contains(tail, n) {
						t.Errorf("summary has %q:\n%s", n, tail)
					}
				}
			}
		})
	}
}

func TestSummaryKeepsTheLastLines(t *testing.T) {
	events := [][4]string{}
	for i := range maxLines + 5 {
		events = append(events, [4]string{"p", "TestLong", "output", strings.Repeat("x", i+1) + "\n"})
	}
	events = append(events, [4]string{"p", "TestLong", "fail", ""})
	var out strings.Builder
	if _, err := filter(strings.NewReader(stream(t, events...)), &out); err != nil {
		t.Fatal(err)
	}
	_, tail, _ := strings.Cut(out.String(), "--- FAIL: TestLong\n")
	if !strings.HasPrefix(tail, "    […] 5 earlier lines\n"+strings.Repeat("x", 6)+"\n") {
		t.Errorf("summary does not start with the elision and line 6:\n%s", tail)
	}
	if strings.Count(tail, "\n") != maxLines+1 {
		t.Errorf("summary has %d lines, want %d", strings.Count(tail, "\n"), maxLines+1)
	}
}
