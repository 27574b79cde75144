package bench

import (
	"context"
	"sync"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/nodecpu"
	"github.com/cnibench/cnibench/internal/runrecord"
)

// cpuWindow is the node CPU of one throughput test: both nodes read just
// before the client starts and again just after it returns. The engine
// does not report when its warm-up (--omit) ended, so the window holds it,
// and the bits charged to it are those moved over the whole window
// (recordNodeCPU): the closest honest window to the measured part.
type cpuWindow struct {
	sampler cluster.CPUSampler
	nodes   []string // the client's node, then the server's (once when they are one)
	before  []nodecpu.Times
	errs    []error
	start   time.Time
}

// startNodeCPU reads the nodes of b before a test; nil when the cluster
// cannot read node CPU.
func startNodeCPU(ctx context.Context, c cluster.Cluster, b bound) *cpuWindow {
	s, ok := c.(cluster.CPUSampler)
	if !ok {
		return nil
	}
	w := &cpuWindow{sampler: s, nodes: []string{b.from.Node}}
	if n := b.target.Backend.Node; n != b.from.Node {
		w.nodes = append(w.nodes, n)
	}
	w.before, w.errs = w.read(ctx)
	w.start = time.Now()
	return w
}

// cpuReadTimeout bounds one reading of the nodes (an exec that hangs
// fails the reading, not the run).
const cpuReadTimeout = 15 * time.Second

// read reads every node at once, so neither waits for the other's exec.
func (w *cpuWindow) read(ctx context.Context) ([]nodecpu.Times, []error) {
	ctx, cancel := context.WithTimeout(ctx, cpuReadTimeout)
	defer cancel()
	ts, errs := make([]nodecpu.Times, len(w.nodes)), make([]error, len(w.nodes))
	var wg sync.WaitGroup
	for i, n := range w.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts[i], errs[i] = w.sampler.NodeCPU(ctx, n)
		}()
	}
	wg.Wait()
	return ts, errs
}

// stop reads the nodes after the test and records their use against what
// res moved; nil when w is.
func (w *cpuWindow) stop(ctx context.Context, res *engine.Result) *runrecord.NodeCPU {
	if w == nil {
		return nil
	}
	after, errs := w.read(ctx)
	wall := time.Since(w.start)
	use := make([]nodeUse, len(w.nodes))
	for i, n := range w.nodes {
		use[i].node = n
		switch {
		case w.errs[i] != nil:
			use[i].err = w.errs[i]
		case errs[i] != nil:
			use[i].err = errs[i]
		default:
			use[i].usage, use[i].err = after[i].Since(w.before[i], wall)
		}
	}
	client, server := use[0], use[len(use)-1]
	return recordNodeCPU(res, wall, client, server)
}

// nodeUse is one node's CPU over a test, or why it is unknown.
type nodeUse struct {
	node  string
	usage nodecpu.Usage
	err   error
}

// windowBits are the bits the test's sender sent and its receiver received
// over the whole client run: the measured totals plus the omitted
// intervals' bytes as the client counted them (connecting and the results
// exchange move no test data).
func windowBits(res *engine.Result) (sent, received float64) {
	var omitted uint64
	for _, iv := range res.Intervals {
		if iv.Sum.Omitted {
			omitted += iv.Sum.Bytes
			if iv.SumReverse != nil {
				omitted += iv.SumReverse.Bytes
			}
		}
	}
	sent = float64(res.SumSent.Bytes + omitted)
	received = float64(res.SumReceived.Bytes + omitted)
	if r := res.SumSentReverse; r != nil {
		sent += float64(r.Bytes)
	}
	if r := res.SumReceivedReverse; r != nil {
		received += float64(r.Bytes)
	}
	return 8 * sent, 8 * received
}
