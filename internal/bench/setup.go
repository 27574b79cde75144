package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"

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

// setup is what one variant's cluster was given for the run: the servers
// started, each runnable scenario's client and target, the scenarios it
// cannot run, and the paths it told.
type setup struct {
	servers []cluster.Server
	bound   map[string]bound // by scenario name; missing = skipped
	skipped []skipped        // in plan order
	paths   []runrecord.PathRecord
	notes   []string // paths the cluster could not tell
}

// skipped is a scenario the cluster cannot run, and why.
type skipped struct {
	scenario Scenario
	why      error
}

// stop stops the servers, even when the run's context has ended.
func (s *setup) stop(ev Events) {
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	for _, srv := range s.servers {
		if err := srv.Stop(ctx); err != nil {
			ev.Note(fmt.Sprintf("stop server on %s: %v", srv.Endpoint().Name, err))
		}
	}
}

// serverNames are the endpoints the servers run on, in start order.
func (s *setup) serverNames() []string {
	names := make([]string, len(s.servers))
	for i, srv := range s.servers {
		names[i] = srv.Endpoint().Name
	}
	return names
}

// setUp binds every scenario of p to the pair on cluster c, in steps:
// place each scenario on the pair, start one server per server endpoint,
// expose the servers the Service scenarios need, give each scenario its
// target, and ask the cluster each one's path. A server or Service that
// cannot be made fails the tests that need it, not the run. Scenarios the
// cluster cannot run are skipped when the plan asked for "all", and are
// an error when named (the baselines always are). What it started is in the
// setup returned, also with an error: stop it.
func setUp(ctx context.Context, c cluster.Cluster, pr pair, p Plan, variant string) (*setup, error) {
	s := &setup{}
	placed, skips := place(p.ScenarioList(), pr)
	if err := p.mustRun(skips); err != nil {
		return s, err
	}
	family := p.Knobs[variant].Family
	if err := checkFamily(placed, family); err != nil {
		return s, err
	}
	placed, idle := p.dropIdleBaselines(placed)
	skips = append(skips, idle...)
	servers, err := startServers(ctx, c, placed, p.Port)
	for _, name := range servers.order {
		s.servers = append(s.servers, servers.by[name].srv)
	}
	if err != nil {
		return s, err
	}
	services := exposeServers(ctx, c, placed, servers)
	var noService []skipped
	s.bound, noService = bind(placed, servers, services, pr, family)
	skips = append(skips, noService...)
	if err := p.mustRun(noService); err != nil {
		return s, err
	}
	// A baseline whose scenarios all lacked their Service compares nothing.
	var bindable []placement
	for _, pl := range placed {
		if _, ok := s.bound[pl.scenario.Name]; ok {
			bindable = append(bindable, pl)
		}
	}
	placed, idle = p.dropIdleBaselines(bindable)
	for _, sk := range idle {
		delete(s.bound, sk.scenario.Name)
	}
	skips = append(skips, idle...)
	s.skipped = skips
	s.paths, s.notes = tracePaths(ctx, c, variant, placed, s.bound)
	return s, nil
}

// mustRun is the first of skips the plan cannot do without, as an error.
func (p Plan) mustRun(skips []skipped) error {
	for _, sk := range skips {
		if sk.scenario.IsBaseline() || slices.Contains(p.Scenarios, sk.scenario.Name) {
			return fmt.Errorf("scenario %s cannot run here: %w", sk.scenario.Name, sk.why)
		}
	}
	return nil
}

// dropIdleBaselines skips the baselines besides node-node that the plan
// did not name and no placed scenario is compared with (node-node-same
// when pod-pod-same cannot run): measuring them would compare nothing.
func (p Plan) dropIdleBaselines(placed []placement) ([]placement, []skipped) {
	used := map[string]bool{runrecord.BaselineScenario: true}
	for _, pl := range placed {
		if !pl.scenario.IsBaseline() {
			used[pl.scenario.BaselineName()] = true
		}
	}
	var kept []placement
	var skips []skipped
	for _, pl := range placed {
		name := pl.scenario.Name
		if pl.scenario.IsBaseline() && !used[name] && !slices.Contains(p.Scenarios, name) {
			skips = append(skips, skipped{pl.scenario, errors.New("no scenario compared with it runs here")})
			continue
		}
		kept = append(kept, pl)
	}
	return kept, skips
}

// placement is a scenario placed on the pair: its client, and the
// endpoint its server runs on.
type placement struct {
	scenario Scenario
	from, to cluster.Endpoint
}

// place puts each scenario on the pair, or says why it cannot go there.
func place(scs []Scenario, pr pair) ([]placement, []skipped) {
	var placed []placement
	var skips []skipped
	for _, sc := range scs {
		from, to, err := pr.endpoints(sc)
		if err != nil {
			skips = append(skips, skipped{sc, err})
			continue
		}
		placed = append(placed, placement{sc, from, to})
	}
	return placed, skips
}

// served is the server on one endpoint, or why it could not start.
type served struct {
	srv cluster.Server
	err error
}

// serverSet is a variant's servers by endpoint name, and the names of
// those that started, in start order.
type serverSet struct {
	by    map[string]served
	order []string
}

// startServers starts one server on each endpoint the placements serve
// from. It returns an error only when ctx ended: then servers holds those
// that started, to stop.
func startServers(ctx context.Context, c cluster.Cluster, placed []placement, port int) (serverSet, error) {
	servers := serverSet{by: map[string]served{}}
	for _, pl := range placed {
		name := pl.to.Name
		if _, done := servers.by[name]; done {
			continue
		}
		srv, err := c.StartServer(ctx, pl.to, port)
		if err != nil {
			servers.by[name] = served{err: fmt.Errorf("start server on %s: %w", name, err)}
			if ctx.Err() != nil {
				return servers, ctx.Err()
			}
			continue
		}
		servers.by[name] = served{srv: srv}
		servers.order = append(servers.order, name)
	}
	return servers, nil
}

// exposed is the Service targets of one server, or why it could not be
// exposed.
type exposed struct {
	targets []cluster.Target
	err     error
}

// exposeServers exposes, once each, the started servers that Service
// scenarios measure, by endpoint name.
func exposeServers(ctx context.Context, c cluster.Cluster, placed []placement, servers serverSet) map[string]exposed {
	services := map[string]exposed{}
	for _, pl := range placed {
		name := pl.to.Name
		sv := servers.by[name]
		if pl.scenario.Target == cluster.DirectTarget || sv.err != nil {
			continue
		}
		if _, done := services[name]; done {
			continue
		}
		ts, err := c.Expose(ctx, sv.srv)
		if err != nil {
			err = fmt.Errorf("expose %s: %w", name, err)
		}
		services[name] = exposed{targets: ts, err: err}
	}
	return services
}

// bind gives each placed scenario its target: the server itself, or the
// Service address it measures. A scenario whose server or Service could
// not be made is bound with that error (its tests fail); one whose
// Service kind the cluster does not offer (in family f) is skipped.
func bind(placed []placement, servers serverSet, services map[string]exposed, pr pair, f cluster.Family) (map[string]bound, []skipped) {
	b := map[string]bound{}
	var skips []skipped
	for _, pl := range placed {
		sc, name := pl.scenario, pl.to.Name
		failed := bound{from: pl.from, target: cluster.Target{Kind: sc.Target, Backend: pl.to}}
		sv := servers.by[name]
		if sv.err != nil {
			failed.err = sv.err
			b[sc.Name] = failed
			continue
		}
		if sc.Target == cluster.DirectTarget {
			t, err := inFamily(sv.srv.Target(), f)
			b[sc.Name] = bound{from: pl.from, target: t, err: err}
			continue
		}
		ex := services[name]
		if ex.err != nil {
			failed.err = ex.err
			b[sc.Name] = failed
			continue
		}
		t, ok := serviceTarget(ex.targets, sc, pr, f)
		if !ok {
			why := fmt.Errorf("the cluster offers no %s Service", sc.Target)
			if f != 0 {
				why = fmt.Errorf("the cluster offers no %s Service over %s", sc.Target, FamilyLabel(f))
			}
			skips = append(skips, skipped{sc, why})
			continue
		}
		b[sc.Name] = bound{from: pl.from, target: t}
	}
	return b, skips
}

// tracePaths asks the cluster the path of each bound scenario whose
// server runs; a path it cannot tell is a note, not a failure.
func tracePaths(ctx context.Context, c cluster.Cluster, variant string, placed []placement, b map[string]bound) ([]runrecord.PathRecord, []string) {
	var paths []runrecord.PathRecord
	var notes []string
	for _, pl := range placed {
		bd, ok := b[pl.scenario.Name]
		if !ok || bd.err != nil {
			continue
		}
		path, err := c.Path(ctx, bd.from, bd.target)
		if err != nil {
			notes = append(notes, fmt.Sprintf("path of %s: %v", pl.scenario.Name, err))
			continue
		}
		rp := recordPath(path)
		rp.IPFamily = int(cluster.FamilyOf(bd.target.Addr.Addr()))
		paths = append(paths, runrecord.PathRecord{
			Variant: variant, Scenario: pl.scenario.Name, From: bd.from.Name, To: bd.target.Backend.Name, TargetKind: runrecord.TargetKind(bd.target.Kind), Path: rp,
		})
	}
	return paths, notes
}

// serviceTarget picks the scenario's Service address among ts: the first
// ClusterIP, or the NodePort on the node the scenario names (its
// backend's, or the other node of the pair), in family f; when f is 0,
// IPv4 first, else any.
func serviceTarget(ts []cluster.Target, sc Scenario, pr pair, f cluster.Family) (cluster.Target, bool) {
	node := pr.nodePortNode(sc)
	var fallback *cluster.Target
	for i, t := range ts {
		if t.Kind != sc.Target {
			continue
		}
		if sc.Target == cluster.NodePortTarget && !slices.Contains(node.Addrs, t.Addr.Addr()) {
			continue
		}
		if f != 0 {
			if cluster.FamilyOf(t.Addr.Addr()) == f {
				return t, true
			}
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
