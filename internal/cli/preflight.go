package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cnibench/cnibench/internal/cluster/lab"
	"golang.org/x/sys/unix"
)

// Checks a run makes before it builds anything, so that a run that cannot
// work fails at once with the reason (and --dry-run says so too).

// checkOutDir fails unless dir ("" = none) is a writable directory or can
// be created as one. It creates nothing: it looks for the nearest
// existing ancestor and asks the kernel whether this user may write there.
func checkOutDir(dir string) error {
	if dir == "" {
		return nil
	}
	path := filepath.Clean(dir)
	for {
		fi, err := os.Stat(path)
		switch {
		case err == nil && !fi.IsDir():
			return fmt.Errorf("--out-dir %s: %s is a file, not a directory: choose another --out-dir", dir, path)
		case err == nil:
			if err := unix.Access(path, unix.W_OK|unix.X_OK); err != nil {
				return fmt.Errorf("--out-dir %s: cannot write in %s (%v): choose a directory you can write to", dir, path, err)
			}
			return nil
		case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, unix.ENOTDIR):
			return fmt.Errorf("--out-dir %s: %w", dir, err)
		}
		parent := filepath.Dir(path)
		if parent == path {
			return fmt.Errorf("--out-dir %s: no part of the path exists", dir)
		}
		path = parent
	}
}

// checkLabNodes fails when --nodes names a node one of the labs does not
// have, listing the nodes it has.
func checkLabNodes(variants []lab.Variant, nodes []string) error {
	for _, v := range variants {
		var have []string
		for i := 1; i <= v.Config.Nodes; i++ {
			have = append(have, lab.NodeName(i))
		}
		for _, n := range nodes {
			if !slices.Contains(have, n) {
				return fmt.Errorf("--nodes %s: the lab has no node %q; its nodes are %s", strings.Join(nodes, ","), n, strings.Join(have, ", "))
			}
		}
	}
	return nil
}

// checkLabDatapaths fails when this kernel cannot build a variant's
// datapath, naming the module and the datapaths it supports. Probing
// needs the privileges of a lab build: without them (a dry run as a
// user) it says on w what it could not check.
func checkLabDatapaths(w io.Writer, variants []lab.Variant) error {
	if lab.NeedsReexec() {
		fmt.Fprintln(w, "note: not root: whether this kernel has each --datapath's module is checked when the run starts")
		return nil
	}
	return lab.SupportedAll(variants)
}
