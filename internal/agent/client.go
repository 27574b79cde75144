package agent

import (
	"context"
	"io"

	"github.com/cnibench/cnibench/internal/engine"
)

// RunClient is the pod side of a test: it runs the engine's client
// against addr and writes Lines to w, each interval as it ends, then the
// result or the error (which it also returns).
func RunClient(ctx context.Context, w io.Writer, addr string, spec engine.Spec) error {
	lw := NewLineWriter(w)
	c := &engine.Client{OnInterval: func(iv engine.Interval) { _ = lw.Write(Line{Interval: &iv}) }}
	res, err := c.Run(ctx, addr, spec)
	if err != nil {
		_ = lw.Write(Line{Error: err.Error()})
		return err
	}
	return lw.Write(Line{Result: res})
}

// RunLatency is the pod side of a latency test: it runs the engine's
// latency client against addr and writes its result, or its error (which
// it also returns), as one Line.
func RunLatency(ctx context.Context, w io.Writer, addr string, spec engine.LatencySpec) error {
	lw := NewLineWriter(w)
	res, err := (&engine.Client{}).RunLatency(ctx, addr, spec)
	if err != nil {
		_ = lw.Write(Line{Error: err.Error()})
		return err
	}
	return lw.Write(Line{Latency: res})
}
