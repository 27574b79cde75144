package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/runrecord"
)

// bound is a scenario bound to a cluster: the client endpoint and the
// target it reaches, or the setup error every test of it fails with.
type bound struct {
	from   cluster.Endpoint
	target cluster.Target
	err    error
}

// setup is one variant's servers and bound scenarios.
type setup struct {
	servers []cluster.Server
	bound   map[string]bound // by scenario name; missing = skipped
}

// stop stops the servers, even when the run's context has ended.
func (s *setup) stop(r *runner) {
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	for _, srv := range s.servers {
		if err := srv.Stop(ctx); err != nil {
			r.ev.Note(fmt.Sprintf("stop server on %s: %v", srv.Endpoint().Name, err))
		}
	}
}

// pair is the two nodes a run measures between, with their pods.
type pair struct {
	a, b         cluster.Endpoint
	podsA, podsB []cluster.Endpoint
	nodes        []string // every node of the cluster, for messages
}

// choosePair finds the plan's node pair, or the first two nodes.
func choosePair(eps []cluster.Endpoint, want []string) (pair, error) {
	var p pair
	var nodes []cluster.Endpoint
	for _, e := range eps {
		if e.Kind == cluster.NodeEndpoint {
			nodes = append(nodes, e)
			p.nodes = append(p.nodes, e.Name)
		}
	}
	find := func(name string) (cluster.Endpoint, error) {
		for _, n := range nodes {
			if n.Name == name {
				return n, nil
			}
		}
		return cluster.Endpoint{}, fmt.Errorf("no node %q: the cluster has %s", name, listOrNone(p.nodes))
	}
	switch {
	case len(want) == 2:
		var err error
		if p.a, err = find(want[0]); err != nil {
			return p, err
		}
		if p.b, err = find(want[1]); err != nil {
			return p, err
		}
	case len(nodes) < 2:
		return p, fmt.Errorf("the baseline needs two nodes, the cluster has %s", listOrNone(p.nodes))
	default:
		p.a, p.b = nodes[0], nodes[1]
	}
	for _, e := range eps {
		if e.Kind != cluster.PodEndpoint {
			continue
		}
		switch e.Node {
		case p.a.Name:
			p.podsA = append(p.podsA, e)
		case p.b.Name:
			p.podsB = append(p.podsB, e)
		}
	}
	return p, nil
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// endpoints picks a scenario's client and server endpoints: the first pod
// of a node is the client pod, a same-node server pod is the second.
func (p pair) endpoints(s Scenario) (from, to cluster.Endpoint, err error) {
	pick := func(kind cluster.EndpointKind, node cluster.Endpoint, pods []cluster.Endpoint, i int) (cluster.Endpoint, error) {
		if kind == cluster.NodeEndpoint {
			return node, nil
		}
		if len(pods) <= i {
			return cluster.Endpoint{}, fmt.Errorf("%s needs %d pod(s) on %s, the cluster has %d", s.Name, i+1, node.Name, len(pods))
		}
		return pods[i], nil
	}
	if from, err = pick(s.From, p.a, p.podsA, 0); err != nil {
		return
	}
	if s.Placement == SameNode {
		i := 0
		if s.From == s.To {
			i = 1 // a different endpoint of the same kind on the same node
		}
		to, err = pick(s.To, p.a, p.podsA, i)
		return
	}
	to, err = pick(s.To, p.b, p.podsB, 0)
	return
}

// setup binds every scenario of the plan to the cluster: endpoints,
// one server per server endpoint, Services, paths. Scenarios the cluster
// cannot run are skipped when the plan asked for "all", and are an error
// when named.
func (r *runner) setup(ctx context.Context, c cluster.Cluster, variant string) (*setup, error) {
	s := &setup{bound: map[string]bound{}}
	eps, err := c.Endpoints(ctx)
	if err != nil {
		return s, fmt.Errorf("list endpoints: %w", err)
	}
	pr, err := choosePair(eps, r.plan.Nodes)
	if err != nil {
		return s, err
	}
	if len(r.plan.Nodes) == 0 {
		r.plan.Nodes = []string{pr.a.Name, pr.b.Name}
		r.rec.Plan.Nodes = slices.Clone(r.plan.Nodes)
	}
	skip := func(sc Scenario, why error) error {
		if sc.Name == runrecord.BaselineScenario || slices.Contains(r.plan.Scenarios, sc.Name) {
			return fmt.Errorf("scenario %s cannot run here: %w", sc.Name, why)
		}
		r.ev.Note(fmt.Sprintf("skipping %s: %v", sc.Name, why))
		r.total -= len(r.plan.Protocols) * len(r.plan.Streams) * r.plan.Repeats
		return nil
	}
	servers := map[string]cluster.Server{}
	serverErr := map[string]error{}
	services := map[string][]cluster.Target{}
	serviceErr := map[string]error{}
	for _, sc := range r.plan.ScenarioList() {
		from, to, err := pr.endpoints(sc)
		if err != nil {
			if err := skip(sc, err); err != nil {
				return s, err
			}
			continue
		}
		srv, started := servers[to.Name]
		if !started && serverErr[to.Name] == nil {
			srv, err = c.StartServer(ctx, to, r.plan.Port)
			if err != nil {
				serverErr[to.Name] = fmt.Errorf("start server on %s: %w", to.Name, err)
				if ctx.Err() != nil {
					return s, ctx.Err()
				}
			} else {
				servers[to.Name] = srv
				s.servers = append(s.servers, srv)
			}
		}
		if err := serverErr[to.Name]; err != nil {
			s.bound[sc.Name] = bound{from: from, target: cluster.Target{Kind: sc.Target, Backend: to}, err: err}
			continue
		}
		target := srv.Target()
		if sc.Target != cluster.DirectTarget {
			if _, done := services[to.Name]; !done && serviceErr[to.Name] == nil {
				ts, err := c.Expose(ctx, srv)
				if err != nil {
					serviceErr[to.Name] = fmt.Errorf("expose %s: %w", to.Name, err)
				}
				services[to.Name] = ts
			}
			if err := serviceErr[to.Name]; err != nil {
				s.bound[sc.Name] = bound{from: from, target: cluster.Target{Kind: sc.Target, Backend: to}, err: err}
				continue
			}
			t, ok := serviceTarget(services[to.Name], sc, pr)
			if !ok {
				if err := skip(sc, fmt.Errorf("the cluster offers no %s Service", sc.Target)); err != nil {
					return s, err
				}
				continue
			}
			target = t
		}
		s.bound[sc.Name] = bound{from: from, target: target}
		path, err := c.Path(ctx, from, target)
		if err != nil {
			r.ev.Note(fmt.Sprintf("path of %s: %v", sc.Name, err))
			continue
		}
		r.rec.Paths = append(r.rec.Paths, runrecord.PathRecord{
			Variant: variant, Scenario: sc.Name, From: from.Name, To: target.Backend.Name, TargetKind: target.Kind, Path: path,
		})
	}
	names := make([]string, len(s.servers))
	for i, srv := range s.servers {
		names[i] = srv.Endpoint().Name
	}
	if len(names) > 0 {
		r.ev.Note("servers on " + strings.Join(names, ", "))
	}
	return s, nil
}

// serviceTarget picks the scenario's Service address among ts: the first
// IPv4 ClusterIP, or the NodePort on the server's node (B).
func serviceTarget(ts []cluster.Target, sc Scenario, pr pair) (cluster.Target, bool) {
	node := pr.b
	if sc.Placement == SameNode {
		node = pr.a
	}
	var fallback *cluster.Target
	for i, t := range ts {
		if t.Kind != sc.Target {
			continue
		}
		if sc.Target == cluster.NodePortTarget && !slices.Contains(node.Addrs, t.Addr.Addr()) {
			continue
		}
		if t.Addr.Addr().Is4() {
			return t, true
		}
		if fallback == nil {
			fallback = &ts[i]
		}
	}
	if fallback != nil {
		return *fallback, true
	}
	return cluster.Target{}, false
}
