package cluster

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// Iperf3Image is the stock iperf3 that end-to-end tests give to
// `run --server-image`: Debian's iperf3 package as installed on this
// machine, with the shared libraries it loads, and nothing of cnibench.
const Iperf3Image = "cnibench.invalid/e2e/iperf3:debian"

// WriteIperf3Image writes Iperf3Image as an image archive to out, for
// ImportImage: the host's iperf3 binary, its ELF interpreter and every
// library it needs (found as the dynamic loader would, in the multiarch
// and plain lib directories), at the same paths.
func WriteIperf3Image(out string) error {
	bin, err := exec.LookPath("iperf3")
	if err != nil {
		return fmt.Errorf("iperf3 image: %w (apt-get install iperf3)", err)
	}
	files, err := elfClosure(bin)
	if err != nil {
		return fmt.Errorf("iperf3 image: %w", err)
	}
	entries := []imageEntry{{name: "tmp/", isDir: true}}
	dirs := map[string]bool{}
	for _, f := range append([]string{"/usr/bin/iperf3"}, files[1:]...) {
		for d := filepath.Dir(f); d != "/" && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	var dirList []string
	for d := range dirs {
		dirList = append(dirList, d)
	}
	slices.Sort(dirList) // parents first
	for _, d := range dirList {
		entries = append(entries, imageEntry{name: d[1:] + "/", isDir: true})
	}
	for i, f := range files {
		data, err := os.ReadFile(f) // follows symlinks: the image holds the real file
		if err != nil {
			return fmt.Errorf("iperf3 image: %w", err)
		}
		path := f
		if i == 0 {
			path = "/usr/bin/iperf3"
		}
		entries = append(entries, imageEntry{name: path[1:], data: data, mode: 0o755})
	}
	return writeImage(out, Iperf3Image, entries, []string{"/usr/bin/iperf3"}, []string{"PATH=/usr/bin"})
}

// elfClosure is bin, its interpreter and every shared library it needs,
// transitively, by the paths the loader finds them at.
func elfClosure(bin string) ([]string, error) {
	triple := map[string]string{"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}[runtime.GOARCH]
	search := []string{"/lib/" + triple, "/usr/lib/" + triple, "/lib64", "/usr/lib64", "/lib", "/usr/lib"}
	out := []string{bin}
	seen := map[string]bool{}
	for i := 0; i < len(out); i++ {
		f, err := elf.Open(out[i])
		if err != nil {
			return nil, err
		}
		needed, err := f.ImportedLibraries()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				b := make([]byte, p.Filesz)
				if _, rerr := p.ReadAt(b, 0); rerr == nil {
					if interp := strings.TrimRight(string(b), "\x00"); !seen[interp] {
						seen[interp] = true
						out = append(out, interp)
					}
				}
			}
		}
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", out[i], err)
		}
		for _, lib := range needed {
			if seen[lib] {
				continue
			}
			seen[lib] = true
			path := ""
			for _, d := range search {
				if _, err := os.Stat(filepath.Join(d, lib)); err == nil {
					path = filepath.Join(d, lib)
					break
				}
			}
			if path == "" {
				return nil, errors.New(lib + " (needed by " + out[i] + ") is in none of " + strings.Join(search, ", "))
			}
			out = append(out, path)
		}
	}
	return out, nil
}
