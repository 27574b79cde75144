// Package meshrun measures a mesh on any cluster.Cluster: it starts one
// server per node (and per node's server pod), then runs the plan's steps,
// each step's tests in parallel (no node is in two of them), and records
// every test in a meshrecord.Mesh, handed to Events after every step.
package meshrun

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/meshrecord"
)

// Node is one node's endpoints: its host network, and the pods the
// pod-pod-cross scenario uses (a server pod and a client pod: the node's
// first and second pod, or its only pod for both).
type Node struct {
	Host           cluster.Endpoint
	Server, Client cluster.Endpoint
	HasPods        bool
}

// Nodes lists c's nodes with their endpoints, in Endpoints' order.
func Nodes(ctx context.Context, c cluster.Cluster) ([]Node, error) {
	eps, err := c.Endpoints(ctx)
	if err != nil {
		return nil, err
	}
	var nodes []Node
	at := map[string]int{}
	for _, ep := range eps {
		if ep.Kind == cluster.NodeEndpoint {
			at[ep.Node] = len(nodes)
			nodes = append(nodes, Node{Host: ep})
		}
	}
	pods := map[string]int{}
	for _, ep := range eps {
		i, ok := at[ep.Node]
		if ep.Kind != cluster.PodEndpoint || !ok {
			continue
		}
		switch pods[ep.Node] {
		case 0:
			nodes[i].Server, nodes[i].Client, nodes[i].HasPods = ep, ep, true
		case 1:
			nodes[i].Client = ep
		}
		pods[ep.Node]++
	}
	return nodes, nil
}

// Events hears of the mesh's progress. StepFinished gets the record with
// the step's tests in it (to save it after every step).
type Events interface {
	StepStarted(i, total int, s meshrecord.Step, tests int)
	StepFinished(i, total int, m *meshrecord.Mesh)
}

// ErrInterrupted is returned when the context ends the mesh early; the
// record keeps what was measured, marked incomplete.
var ErrInterrupted = errors.New("mesh interrupted")

// Run measures rec.Plan on c between nodes (indexed like rec.Nodes) with
// each test's spec, appending to rec.Tests. It marks rec complete when
// every step ran, whether or not each test measured.
func Run(ctx context.Context, c cluster.Cluster, nodes []Node, rec *meshrecord.Mesh, spec engine.Spec, port int, ev Events) (err error) {
	defer func() {
		rec.Finished = time.Now().UTC()
		rec.Complete = err == nil
		if err != nil {
			rec.Error = err.Error()
		}
	}()
	if len(nodes) != len(rec.Nodes) {
		return fmt.Errorf("mesh of %d nodes given %d nodes' endpoints", len(rec.Nodes), len(nodes))
	}
	if rec.Cluster.Kind == "" {
		info, err := c.Info(ctx)
		if err != nil {
			return err
		}
		rec.Cluster = meshrecord.Cluster{Kind: info.Kind, Name: info.Name, Facts: info.Facts, Warnings: info.Warnings}
	}
	targets, stop, err := startServers(ctx, c, nodes, rec.Plan.Scenarios, port)
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if serr := stop(sctx); serr != nil && err == nil {
			err = serr
		}
	}()
	if err != nil {
		return err
	}
	steps := rec.Plan.Steps()
	for i, st := range steps {
		if ctx.Err() != nil {
			return fmt.Errorf("%w after %d of %d steps: %w", ErrInterrupted, i, len(steps), context.Cause(ctx))
		}
		tests := rec.Plan.Directed(st)
		if ev != nil {
			ev.StepStarted(i, len(steps), st, len(tests))
		}
		results := make([]meshrecord.Test, len(tests))
		var wg sync.WaitGroup
		for k, t := range tests {
			wg.Go(func() {
				results[k] = runTest(ctx, c, nodes, targets, st, i, t, spec)
			})
		}
		wg.Wait()
		if ctx.Err() != nil { // tests cut short measure nothing true: leave them out
			return fmt.Errorf("%w after %d of %d steps: %w", ErrInterrupted, i, len(steps), context.Cause(ctx))
		}
		rec.Tests = append(rec.Tests, results...)
		if ev != nil {
			ev.StepFinished(i, len(steps), rec)
		}
	}
	return nil
}

// runTest runs one directed test of a step.
func runTest(ctx context.Context, c cluster.Cluster, nodes []Node, targets map[string][]cluster.Target, st meshrecord.Step, step int, pair [2]int, spec engine.Spec) meshrecord.Test {
	t := meshrecord.Test{Step: step, Repeat: st.Repeat, Scenario: st.Scenario, From: pair[0], To: pair[1], Start: time.Now().UTC()}
	from := nodes[pair[0]].Host
	if st.Scenario == meshrecord.PodPodCross {
		from = nodes[pair[0]].Client
	}
	spec.Title = fmt.Sprintf("mesh %s %s→%s", st.Scenario, nodes[pair[0]].Host.Node, nodes[pair[1]].Host.Node)
	res, err := c.RunClient(ctx, from, targets[st.Scenario][pair[1]], spec)
	t.Wall = meshrecord.Seconds(time.Since(t.Start).Seconds())
	switch {
	case err != nil:
		t.Error = err.Error()
	case res.Goodput() <= 0:
		t.Error = "the test moved no data"
	default:
		g := res.Goodput()
		t.Goodput = &g
	}
	return t
}

// startServers starts a server on each node's host network and on its
// server pod, as the scenarios need, and returns their targets by
// scenario and node, and how to stop them all.
func startServers(ctx context.Context, c cluster.Cluster, nodes []Node, scenarios []string, port int) (map[string][]cluster.Target, func(context.Context) error, error) {
	var servers []cluster.Server
	stop := func(ctx context.Context) error {
		var errs []error
		for _, s := range servers {
			errs = append(errs, s.Stop(ctx))
		}
		return errors.Join(errs...)
	}
	targets := map[string][]cluster.Target{}
	for _, sc := range scenarios {
		for _, n := range nodes {
			ep := n.Host
			switch sc {
			case meshrecord.NodeNode:
			case meshrecord.PodPodCross:
				if !n.HasPods {
					return nil, stop, fmt.Errorf("%s has no pod for %s", n.Host.Node, sc)
				}
				ep = n.Server
			default:
				return nil, stop, fmt.Errorf("unknown mesh scenario %q: use %s or %s", sc, meshrecord.NodeNode, meshrecord.PodPodCross)
			}
			srv, err := c.StartServer(ctx, ep, port)
			if err != nil {
				return nil, stop, err
			}
			servers = append(servers, srv)
			targets[sc] = append(targets[sc], srv.Target())
		}
	}
	return targets, stop, nil
}
