package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// resumeFlags may be given with --resume: they change what is shown, not
// what is measured. Every other setting comes from the record.
var resumeFlags = []string{"resume", "quiet", "verbose", "output"}

// resumed is a record being finished, carried to measure in the context.
type resumed struct {
	rec *runrecord.Run
	dir string // where run.json and the reports are written: the record's directory
}

type resumeKey struct{}

// resumedRun is the record `run --resume` is finishing, or nil.
func resumedRun(ctx context.Context) *resumed {
	r, _ := ctx.Value(resumeKey{}).(*resumed)
	return r
}

// resumeRun finishes the run recorded at o.resume: it runs the record's own
// command line again (its plan, cluster kind, node pair and lab settings),
// measures only the tests the record has no sample of, and writes the
// completed record and its reports next to it.
func resumeRun(cmd *cobra.Command, s Streams, o runOptions) error {
	var extra []string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if !slices.Contains(resumeFlags, f.Name) {
			extra = append(extra, "--"+f.Name)
		}
	})
	if len(extra) > 0 {
		return fmt.Errorf("--resume continues the recorded run with its own settings: drop %s (only %s go with it)",
			strings.Join(extra, ", "), "--"+strings.Join(resumeFlags[1:], ", --"))
	}
	rec, err := runrecord.ReadFile(o.resume)
	if err != nil {
		return fmt.Errorf("--resume: %w", err)
	}
	if rec.Complete {
		return fmt.Errorf("--resume %s: the run is complete (%d tests), nothing is left to measure", o.resume, len(rec.Samples))
	}
	again, err := recordedRunCommand(s, rec, o.resume)
	if err != nil {
		return err
	}
	// The first attempt drew the order's seed (no --seed given): keep it, so
	// the plan is the record's and what is left runs in the order it had.
	if f := again.Flags().Lookup("seed"); f != nil && !f.Changed && rec.Plan.Seed != 0 {
		_ = again.Flags().Set("seed", strconv.FormatUint(rec.Plan.Seed, 10))
	}
	// Defaults change between versions (and by cluster): the timing is the
	// record's, whatever today's defaults are.
	for name, v := range map[string]runrecord.Duration{"duration": rec.Plan.Duration, "omit": rec.Plan.Omit} {
		if f := again.Flags().Lookup(name); f != nil && !f.Changed && rec.Plan.Duration != 0 {
			_ = again.Flags().Set(name, time.Duration(v).String())
		}
	}
	// What to show is this invocation's choice.
	for _, name := range resumeFlags[1:] {
		if f := cmd.Flags().Lookup(name); f.Changed {
			_ = again.Flags().Set(name, f.Value.String())
		}
	}
	again.SetContext(context.WithValue(cmd.Context(), resumeKey{}, &resumed{rec: rec, dir: filepath.Dir(o.resume)}))
	return again.RunE(again, nil)
}

// recordedRunCommand is run's command with the record's settings: its
// embedded plan, or for older records its command line.
func recordedRunCommand(s Streams, rec *runrecord.Run, path string) (*cobra.Command, error) {
	again := newRunCommand(s)
	if rec.PlanFile != nil {
		if err := applyPlan(again.Flags(), rec.PlanFile, path+" (its plan)"); err != nil {
			return nil, fmt.Errorf("--resume: %w", err)
		}
		return again, nil
	}
	args, err := recordedRunArgs(rec)
	if err != nil {
		return nil, fmt.Errorf("--resume %s: %w", path, err)
	}
	if err := again.Flags().Parse(args); err != nil {
		return nil, fmt.Errorf("--resume %s: the recorded command line does not parse any more: %w", path, err)
	}
	return again, nil
}

// recordedRunArgs are the flags of the record's `cnibench run` command line.
func recordedRunArgs(rec *runrecord.Run) ([]string, error) {
	cl := rec.CommandLine
	if len(cl) < 2 || cl[1] != "run" {
		return nil, fmt.Errorf("the record's command line %q is not a `cnibench run`: nothing to resume", strings.Join(cl, " "))
	}
	args := slices.Clone(cl[2:])
	for i, a := range args {
		if a == "--resume" || strings.HasPrefix(a, "--resume=") {
			// A resumed record keeps its first command line; this one is broken.
			return nil, errors.New("the record's command line holds --resume: it was edited; resume from the original record")
		}
		if a == "--dry-run" {
			return nil, fmt.Errorf("the record's command line has --dry-run (argument %d): nothing was measured", i+1)
		}
	}
	return args, nil
}

// record is the record to finish; nil for a fresh run.
func (r *resumed) record() *runrecord.Run {
	if r == nil {
		return nil
	}
	return r.rec
}
