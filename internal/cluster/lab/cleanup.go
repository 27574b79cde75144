package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/netns"
)

// UnknownLabError is a lab ID with neither a record nor namespaces.
type UnknownLabError struct {
	ID    string
	Known []string // the labs there are, sorted
}

func (e *UnknownLabError) Error() string {
	if len(e.Known) == 0 {
		return fmt.Sprintf("lab %q not found: there are no labs ('cnibench lab up' makes one)", e.ID)
	}
	return fmt.Sprintf("lab %q not found: the labs are %s ('cnibench lab status' shows them)", e.ID, strings.Join(e.Known, ", "))
}

// unknown is the error for lab id, which does not exist.
func (s Store) unknown(id string) error {
	e := &UnknownLabError{ID: id}
	kept, err := s.Kept()
	for _, st := range kept {
		e.Known = append(e.Known, st.Config.ID)
	}
	if err != nil {
		return errors.Join(e, err)
	}
	return e
}

// Recorded reports whether `lab up` recorded the lab, which it keeps on
// purpose; the others are leftovers of a crashed process.
func (st State) Recorded() bool { return st.Config.Nodes > 0 }

// nsCreated is when named namespace name was made (its nsfs inode's
// time), or the zero time when that cannot be read.
func nsCreated(name string) time.Time {
	fi, err := os.Stat(filepath.Join(netns.RunDir, name))
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime().UTC()
}

// Filter chooses the labs Cleanup removes.
type Filter struct {
	IDs         []string      // only these (each must exist); named labs go whether kept or not
	OlderThan   time.Duration // only labs at least this old (a leftover of unknown age is old)
	IncludeKept bool          // also labs kept with `lab up`, when IDs is empty
	Now         time.Time     // default: time.Now()
}

// Cleanup removes the labs of ours f chooses (recorded or leftover) and
// returns them; with dryRun it only lists them. Without IDs it takes the
// leftovers of crashed processes, and kept labs only with IncludeKept.
// Labs built with anonymous namespaces need no cleanup: the kernel
// removed them when their process ended.
func (s Store) Cleanup(f Filter, dryRun bool) ([]State, error) {
	labs, err := s.Kept()
	if err != nil {
		return nil, err
	}
	if f.Now.IsZero() {
		f.Now = time.Now()
	}
	var errs []error
	for _, id := range f.IDs {
		if !slices.ContainsFunc(labs, func(st State) bool { return st.Config.ID == id }) {
			errs = append(errs, s.unknown(id))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []State
	for _, st := range labs {
		switch {
		case len(f.IDs) > 0 && !slices.Contains(f.IDs, st.Config.ID):
			continue
		case len(f.IDs) == 0 && st.Recorded() && !f.IncludeKept:
			continue
		case f.OlderThan > 0 && !st.Created.IsZero() && f.Now.Sub(st.Created) < f.OlderThan:
			continue
		}
		out = append(out, st)
		if !dryRun {
			errs = append(errs, s.Down(st.Config.ID))
		}
	}
	return out, errors.Join(errs...)
}
