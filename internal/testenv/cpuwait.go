package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A measuring test on a loaded machine can lose the CPU its sender and
// receiver need: the figure then measures the scheduler, not the path.
// The kernel counts, for every thread, the time it was runnable but waited
// for a CPU (/proc/self/task/TID/schedstat, the second field). A test reads
// it around a measurement and calls the measurement CPU-starved when this
// process waited too long, rather than guessing from how busy the machine
// was: a busy loop beside it keeps the machine 100% busy whether or not it
// took anything from the test.

// CPUWait is a reading of this process's run-queue wait, one per thread.
type CPUWait struct {
	at      time.Time
	threads map[string]time.Duration
}

// ReadCPUWait reads every thread's run-queue wait now.
func ReadCPUWait() (CPUWait, error) {
	w := CPUWait{at: time.Now(), threads: map[string]time.Duration{}}
	paths, err := filepath.Glob("/proc/self/task/*/schedstat")
	if err != nil || len(paths) == 0 {
		return w, fmt.Errorf("no /proc/self/task/*/schedstat (is /proc mounted? the kernel needs CONFIG_SCHED_INFO): %v", err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread exited
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			return w, fmt.Errorf("%s: %q is not \"run wait slices\"", p, b)
		}
		ns, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return w, fmt.Errorf("%s: %w", p, err)
		}
		w.threads[filepath.Base(filepath.Dir(p))] = time.Duration(ns)
	}
	return w, nil
}

// Since is the run-queue wait of this process's threads between an earlier
// reading and this one, and the wall time between them. A thread that
// exited in between takes its wait with it, so the wait can only be
// understated.
func (w CPUWait) Since(earlier CPUWait) (wait, wall time.Duration) {
	for tid, d := range w.threads {
		wait += d - earlier.threads[tid]
	}
	return wait, w.at.Sub(earlier.at)
}

// MaxCPUWaitShare is the run-queue wait of this process's threads
// together, as a share of the wall time, above which a measurement of
// goodput is CPU-starved. Beside a busy loop on the 2-core VM (5 Dec 2026),
// attempts that fell 2.7-27% short of a shaped link waited 50-195%. 5% is
// a choice, below any of those: a sender that waited that long could miss
// the ground truths' 2-3% tolerance. The tests log the share of every
// attempt, so a quiet machine's shows in their -v output.
const MaxCPUWaitShare = 0.05

// Starved measures f and reports whether this process waited for a CPU more
// than MaxCPUWaitShare of the time it took, and the share; when the wait
// cannot be read it fails t.
func Starved(t testing.TB, f func()) (starved bool, share float64) {
	t.Helper()
	before, err := ReadCPUWait()
	if err != nil {
		t.Fatal(err)
	}
	f()
	after, err := ReadCPUWait()
	if err != nil {
		t.Fatal(err)
	}
	wait, wall := after.Since(before)
	if wall > 0 {
		share = float64(wait) / float64(wall)
	}
	return share > MaxCPUWaitShare, share
}

// StarvedAttempts is how many times a measuring test measures while its
// measurements are CPU-starved before it gives up checking what they show.
const StarvedAttempts = 3

// UnlessStarved checks what a measuring test found, where the load of a
// busy machine can explain some failures but not others: measure returns
// the failures no load can cause (hard: a shaped link allows no more than
// its rate however busy the CPU; a test that did not complete) and those a
// CPU-starved measurement can (soft: goodput short of the truth, a
// difference blurred by noise). Hard failures fail t at once. Soft ones
// fail t when this process had its CPU (see Starved); when it was
// CPU-starved the test measures again, StarvedAttempts in all, and if every
// attempt was starved t is skipped saying so: those claims were not
// checked, not passed.
func UnlessStarved(t testing.TB, measure func() (hard, soft []string)) {
	t.Helper()
	var soft []string
	for attempt := 1; attempt <= StarvedAttempts; attempt++ {
		var hard []string
		starved, share := Starved(t, func() { hard, soft = measure() })
		t.Logf("attempt %d: this process waited %.1f%% of the time for a CPU", attempt, share*100)
		for _, f := range hard {
			t.Error(f)
		}
		switch {
		case len(hard) > 0 || len(soft) == 0:
			return
		case !starved:
			t.Errorf("this process had its CPU (it waited %.1f%% of the time for one, at most %.0f%% is not starved), yet:\n%s",
				share*100, MaxCPUWaitShare*100, strings.Join(soft, "\n"))
			return
		}
		t.Logf("attempt %d of %d: CPU-starved (this process waited %.1f%% of the time for a CPU, > %.0f%%): measuring again; it found:\n%s",
			attempt, StarvedAttempts, share*100, MaxCPUWaitShare*100, strings.Join(soft, "\n"))
	}
	t.Skipf("CPU-starved in all %d attempts (is something else loading the machine?): not checked; the last attempt found:\n%s",
		StarvedAttempts, strings.Join(soft, "\n"))
}
