package bench

import (
	"context"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster/lab"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// TestLabNodeCPU: on the lab every throughput test of every scenario
// records both nodes' CPU (this host's /proc/stat) with a positive CPU per
// Gbit; and with a CPU hog on every core the node CPU-bound flag trips,
// whatever the test process itself used.
func TestLabNodeCPU(t *testing.T) {
	m := lab.Matrix{Datapaths: []lab.Datapath{lab.VXLAN}, LinkRates: []uint64{1e9}}
	run, err := labRun(t, context.Background(), m, Plan{Repeats: 1, Protocols: []engine.Protocol{"tcp", "udp"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.FailedSamples() != 0 || len(run.Samples) != 2*defaultScenarios() {
		t.Fatalf("%d samples, %d failed", len(run.Samples), run.FailedSamples())
	}
	for _, s := range run.Samples {
		c := s.NodeCPU
		if c == nil || len(c.Nodes) != 2 || c.BitsSent <= 0 || c.WindowSeconds <= 0 {
			t.Fatalf("%s %s: node CPU %+v", s.Scenario, s.Protocol, c)
		}
		for _, n := range c.Nodes {
			if n.Error != "" || n.PerGbit == nil || !(*n.PerGbit > 0) || n.CPUs != runtime.NumCPU() || !(n.Busy > 0 && n.Busy <= 1) {
				t.Errorf("%s %s: %s's node %s: %+v", s.Scenario, s.Protocol, n.Role, n.Node, n)
			}
		}
		t.Logf("%s %s: %.0f Mbit in %.1fs, sender's node %.3f CPU-s/Gbit (%.0f%% busy)", s.Scenario, s.Protocol,
			c.BitsSent/1e6, c.WindowSeconds, *c.Nodes[0].PerGbit, c.Nodes[0].Busy*100)
	}
	for _, s := range run.Summaries {
		if n := s.NodeCPU; n == nil || n.Sender == nil || n.Receiver == nil || n.Sender.PerGbit == nil || !(n.Receiver.PerGbit.Median > 0) {
			t.Errorf("%s: node CPU summary %+v", s.Key, n)
		}
	}

	stop := startHogs(t, runtime.NumCPU())
	run, err = labRun(t, context.Background(), m, Plan{Repeats: 1, Scenarios: []string{runrecord.BaselineScenario}}, nil)
	stop()
	if err != nil {
		t.Fatal(err)
	}
	s := summary(t, run, "datapath=vxlan", runrecord.BaselineScenario)
	if s.NodeCPU == nil || !s.NodeCPU.Bound {
		t.Fatalf("with a hog on every core the nodes were not flagged: %+v", s.NodeCPU)
	}
	flagged := false
	for _, w := range s.Warnings {
		flagged = flagged || (w.Code == stats.WarnCPUBound && strings.Contains(w.Message, "node was"))
	}
	if !flagged {
		t.Errorf("no node CPU-bound warning: %+v", s.Warnings)
	}
}

// startHogs starts n busy loops, each a shell of its own bounded to two
// minutes, and returns what stops them (by PID); the test's cleanup stops
// them too.
func startHogs(t *testing.T, n int) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	var cmds []*exec.Cmd
	for range n {
		cmd := exec.CommandContext(ctx, "/bin/sh", "-c", "while :; do :; done")
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatalf("start a CPU hog: %v", err)
		}
		cmds = append(cmds, cmd)
	}
	done := false
	stop = func() {
		if done {
			return
		}
		done = true
		for _, c := range cmds {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
		cancel()
	}
	t.Cleanup(stop)
	return stop
}
