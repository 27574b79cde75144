package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/testenv"
)

// buildCnibench builds the command, for tests that must kill it outright.
func buildCnibench(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cnibench")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/cnibench/cnibench/cmd/cnibench")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return bin
}

// TestResumeKilledRunOnTheLab: a lab run SIGKILLed after some tests is
// finished by `run --resume`: every test of the plan once, the first
// attempt's samples untouched and marked attempt 1, the rest attempt 2.
func TestResumeKilledRunOnTheLab(t *testing.T) {
	testenv.MustBeRoot(t)
	bin := buildCnibench(t)
	dir := t.TempDir()
	record := filepath.Join(dir, "run.json")
	const tests = 2 * 3 // node-node and pod-pod-cross, 3 repeats
	first := exec.Command(bin, "run", "--scenarios", "pod-pod-cross", "--tests", "throughput", "--repeats", "3", "--duration", "1", "--omit", "0",
		"--rtt-probes", "2", "--quiet", "--out-dir", dir)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	killedAt := 0
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if rec, err := runrecord.ReadFile(record); err == nil && len(rec.Samples) >= 2 {
			killedAt = len(rec.Samples)
			break
		}
	}
	_ = first.Process.Kill() // SIGKILL: no cleanup, no final record
	_ = first.Wait()
	if killedAt == 0 {
		t.Fatal("the first attempt recorded no 2 samples within 2 minutes")
	}
	before, err := runrecord.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	if before.Complete || len(before.Samples) >= tests {
		t.Fatalf("killed too late: complete %v with %d samples", before.Complete, len(before.Samples))
	}
	if b, err := exec.Command(bin, "cleanup").CombinedOutput(); err != nil {
		t.Fatalf("cleanup after the kill: %v\n%s", err, b)
	}

	resume := exec.Command(bin, "run", "--resume", record, "--quiet", "-o", "csv")
	if b, err := resume.CombinedOutput(); err != nil {
		t.Fatalf("resume: %v\n%s", err, b)
	}
	after, err := runrecord.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("killed after %d samples; resumed: %d samples, attempts %d", len(before.Samples), len(after.Samples), len(after.Attempts))
	if !after.Complete || len(after.Samples) != tests || after.FailedSamples() != 0 || len(after.Summaries) != 2 {
		t.Fatalf("resumed run: complete %v, %d samples (%d failed), %d summaries; want complete, %d, 0, 2",
			after.Complete, len(after.Samples), after.FailedSamples(), len(after.Summaries), tests)
	}
	seen := map[string]bool{}
	for i, s := range after.Samples {
		id := s.Scenario + "#" + string(rune('0'+s.Repeat))
		if seen[id] {
			t.Errorf("%s measured twice", id)
		}
		seen[id] = true
		want := 2
		if i < len(before.Samples) {
			want = 1
			if !s.Start.Equal(before.Samples[i].Start) {
				t.Errorf("sample %d of the first attempt changed", i)
			}
		}
		if s.Attempt != want {
			t.Errorf("sample %d (%s): attempt %d, want %d", i, id, s.Attempt, want)
		}
	}
	if len(after.Attempts) != 2 || !strings.Contains(strings.Join(after.Attempts[1].CommandLine, " "), "--resume") ||
		after.CommandLine[1] != "run" || after.ID != before.ID {
		t.Errorf("attempts %+v, command line %v, ID %s (was %s)", after.Attempts, after.CommandLine, after.ID, before.ID)
	}
	if _, err := os.Stat(filepath.Join(dir, "run.csv")); err != nil {
		t.Errorf("the resumed run's reports: %v", err)
	}
}

// TestResumeRefuses: --resume says why it cannot go on, and changes nothing.
func TestResumeRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, r *runrecord.Run) string {
		p := filepath.Join(dir, name)
		if err := runrecord.WriteFile(p, r); err != nil {
			t.Fatal(err)
		}
		return p
	}
	partial := write("partial.json", &runrecord.Run{CommandLine: []string{"cnibench", "run", "--repeats", "2"}})
	complete := write("complete.json", &runrecord.Run{CommandLine: []string{"cnibench", "run"}, Complete: true})
	notRun := write("report.json", &runrecord.Run{CommandLine: []string{"cnibench", "report", "x"}})
	otherSchema := filepath.Join(dir, "v2.json")
	if err := os.WriteFile(otherSchema, []byte(`{"schema_version":"cnibench.run/v2"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--resume", partial, "--repeats", "5"}, "drop --repeats"},
		{[]string{"--resume", partial, "--cluster", "kube"}, "drop --cluster"},
		{[]string{"--resume", filepath.Join(dir, "none.json")}, "no such file"},
		{[]string{"--resume", otherSchema}, `schema "cnibench.run/v2" is not supported`},
		{[]string{"--resume", notRun}, "is not a `cnibench run`"},
		{[]string{"--resume", complete, "--quiet"}, "the run is complete"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			_, _, err := runCommand(t, newRunCommand, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}
