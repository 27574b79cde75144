// Package envfile reads KEY=VALUE files such as flannel's subnet.env. It
// is its own leaf package, with the standard library only, so that the
// harness and the flannel CNI stand-in (a separate small binary) share it
// without the stand-in importing the harness.
package envfile

import (
	"bufio"
	"os"
	"strings"
)

// Read returns the KEY=VALUE lines of the file at path; other lines are
// skipped.
func Read(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok {
			out[k] = v
		}
	}
	return out, sc.Err()
}
