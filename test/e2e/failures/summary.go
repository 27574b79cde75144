package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// maxLines is how many of a failed test's own lines the summary repeats
// (its last ones: a test's errors come before its cleanup's few lines).
const maxLines = 40

// event is the part of a test2json event the summary reads.
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// summary keeps the output of each test not yet passed, and the order in
// which tests failed.
type summary struct {
	output map[key][]string
	fails  []key
}

// key names a test; test "" is its package.
type key struct{ pkg, test string }

func newSummary() *summary { return &summary{output: map[key][]string{}} }

// add takes one line of the stream and returns the text to print for it.
func (s *summary) add(line []byte) string {
	var e event
	if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil || e.Action == "" {
		return string(line) + "\n"
	}
	k := key{e.Package, e.Test}
	switch e.Action {
	case "output", "build-output":
		s.output[k] = append(s.output[k], e.Output)
		return e.Output
	case "pass", "skip":
		delete(s.output, k) // only a failed test's lines are repeated
	case "fail":
		s.fails = append(s.fails, k)
	}
	return ""
}

func (s *summary) failed() bool { return len(s.fails) > 0 }

// write prints, for each failed test without a failed subtest, its own
// lines (not the harness's INFO logs, not go test's === and --- lines); for
// a package that failed with no failed test (a build error, a panic outside
// a test, a timeout), the package's lines.
func (s *summary) write(w io.Writer) {
	if !s.failed() {
		return
	}
	var leaves []key
	for _, k := range s.fails {
		if s.hasFailedChild(k) {
			continue
		}
		leaves = append(leaves, k)
	}
	fmt.Fprintf(w, "\n== what each failed test said (%d; the harness's INFO lines left out)\n", len(leaves))
	for _, k := range leaves {
		name := k.test
		if name == "" {
			name = "package " + k.pkg
		}
		fmt.Fprintf(w, "--- FAIL: %s\n", name)
		lines := ownLines(s.output[k])
		if len(lines) > maxLines {
			fmt.Fprintf(w, "    […] %d earlier lines\n", len(lines)-maxLines)
			lines = lines[len(lines)-maxLines:]
		}
		for _, l := range lines {
			io.WriteString(w, l)
		}
	}
}

// hasFailedChild says whether a failed test has a failed subtest, or a
// failed package a failed test: the summary shows the innermost.
func (s *summary) hasFailedChild(k key) bool {
	for _, o := range s.fails {
		if o.pkg != k.pkg || o == k {
			continue
		}
		if k.test == "" || strings.HasPrefix(o.test, k.test+"/") {
			return true
		}
	}
	return false
}

// ownLines drops the lines a reader of a failure does not need.
func ownLines(out []string) []string {
	var keep []string
	for _, l := range out {
		t := strings.TrimSpace(l)
		switch {
		case t == "",
			strings.HasPrefix(t, "=== "),
			strings.HasPrefix(t, "--- "),
			strings.Contains(t, "level=INFO"):
			continue
		}
		if !strings.HasSuffix(l, "\n") {
			l += "\n"
		}
		keep = append(keep, l)
	}
	return keep
}
