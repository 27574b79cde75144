package kube

import (
	"context"
	"io"
	"time"

	"github.com/cnibench/cnibench/internal/agent"
	"github.com/cnibench/cnibench/internal/cluster/clustertest"
)

// isLatencyCmd says whether an exec'd client command is a latency test.
func isLatencyCmd(cmd []string) bool {
	return len(cmd) > 6 && cmd[5] == "--"+agent.FlagLatencySpecJSON
}

// fakeLatencyClient writes a Line as `cnibench client --latency-spec-json
// --result-json` would, after the test's duration (or when ctx ends).
func fakeLatencyClient(ctx context.Context, cmd []string, out io.Writer) error {
	spec, err := agent.DecodeLatencySpec(cmd[6])
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(spec.Duration):
	}
	res, err := clustertest.FakeLatency(spec, 80*time.Microsecond, 1000)
	if err != nil {
		return err
	}
	return agent.NewLineWriter(out).Write(agent.Line{Latency: res})
}
