package kube

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/agent"
	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/cluster/clustertest"
	"github.com/cnibench/cnibench/internal/engine"
)

// TestConformance runs the cluster contract on the backend over the fake
// API server. Its exec'd client is a stand-in that writes an interval
// line every 50 ms for each second of the spec, then the result, and
// stops when its exec's context ends, as client-go's exec stream does:
// what is checked is the backend's side of the exec (clustertest's doc
// says what the fake cannot show).
func TestConformance(t *testing.T) {
	clustertest.Run(t, func(t *testing.T) cluster.Cluster {
		f := newFake(t, twoNodes()...)
		f.exec.client = fakeClient
		return newCluster(t, f)
	}, clustertest.Options{Services: true})
}

// fakeClient writes Lines as `cnibench client --result-json` would.
func fakeClient(ctx context.Context, cmd []string, out io.Writer) error {
	if isLatencyCmd(cmd) {
		return fakeLatencyClient(ctx, cmd, out)
	}
	spec, err := agent.DecodeSpec(cmd[6])
	if err != nil {
		return err
	}
	lw := agent.NewLineWriter(out)
	res := &engine.Result{Spec: spec}
	for i := range int(spec.Duration / time.Second) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		iv := engine.Interval{Sum: engine.IntervalStream{Start: float64(i), End: float64(i + 1), Seconds: 1, BitsPerSecond: 1e9, Sender: true}}
		res.Intervals = append(res.Intervals, iv)
		if err := lw.Write(agent.Line{Interval: &iv}); err != nil {
			return err
		}
	}
	res.SumReceived = engine.Totals{Seconds: spec.Duration.Seconds(), BitsPerSecond: 1e9}
	return lw.Write(agent.Line{Result: res})
}
