// Package golden compares a renderer's output with a file in the test's
// testdata/ folder, or rewrites that file when the test runs with -update:
// one helper for every package whose tests keep golden files.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with what the renderers produce now")

// Updating reports whether the test runs with -update.
func Updating() bool { return *update }

// Check compares got with testdata/name, or writes it there with -update.
// pkg is the package's path for the hint ("./internal/report").
func Check(t testing.TB, pkg, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test %s -update to create it)", err, pkg)
	}
	if line, g, w, differ := firstDifference(string(got), string(want)); differ {
		t.Errorf("%s differs from the golden file at line %d:\n got: %q\nwant: %q\n(if the change is intended: go test %s -update, then review git diff)", name, line, g, w, pkg)
	}
}

// firstDifference is the first line (from 1) where got and want differ, and
// each side's text there.
func firstDifference(got, want string) (line int, g, w string, differ bool) {
	if got == want {
		return 0, "", "", false
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		g, w = "", ""
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			return i + 1, g, w, true
		}
	}
	return 0, "", "", false
}
