package bench

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runrecord"
)

// Order is how a plan arranges its repeats.
type Order string

const (
	// Interleaved runs one repeat of every group per round, so a slow
	// minute hurts every scenario alike, in an order that is random within
	// each round (from Plan.Seed) and balanced over the rounds, so a steady
	// drift shifts every group's average position by the same amount
	// (roundOrders).
	Interleaved Order = "interleaved"
	// Sequential runs every repeat of a group before the next group.
	Sequential Order = "sequential"
)

// Defaults of a plan: a newcomer's run on the lab (7 scenarios, TCP, one
// stream) finishes in well under a minute on 2 cores, with enough repeats
// for a confidence interval and for the significance test to be able to
// say "different" (docs/run.md explains the trade-off). A real cluster
// gets iperf3's 10 s tests with 1 s of warm-up left out: its round trips
// are long enough for TCP's start-up to weigh on a short test.
const (
	DefaultDuration     = 1 * time.Second
	DefaultOmit         = 0 * time.Second
	DefaultKubeDuration = 10 * time.Second
	DefaultKubeOmit     = 1 * time.Second
	DefaultRepeats      = 6           // the fewest for which the median has an exact 95% interval
	DefaultUDPRate      = 500_000_000 // bits/s per stream: half the lab's default link
	DefaultOrder        = Interleaved
	// MinRepeatsForSignificance is the fewest repeats with which a
	// two-sided Mann-Whitney test at 5% can ever find a difference (with 3
	// against 3 the smallest possible p is 0.1).
	MinRepeatsForSignificance = 4
	// MaxTestTime bounds one test: longer durations are a mistake, not a plan.
	MaxTestTime = time.Hour
	// DefaultRTTProbes is how many TCP handshakes each test times before it
	// starts (the path's idle round-trip time): ~0.2 s, enough for a
	// median per test.
	DefaultRTTProbes = 20
	// MaxRTTProbes bounds them (the engine's own limit).
	MaxRTTProbes = 1000
)

// Plan is what a run measures: every scenario × protocol × streams
// combination (a group), Repeats times each, on every variant.
type Plan struct {
	// Scenarios by name; nil means every scenario of the default set
	// (not the OnRequest ones) the cluster supports. The baselines they
	// are compared with are always measured: node-node, node-node-same
	// when a same-node scenario is named, node-external when one out of
	// the cluster is.
	Scenarios []string
	Protocols []engine.Protocol // nil = tcp
	Streams   []int             // parallel streams per test; nil = 1
	Duration  time.Duration     // measured time of each test, whole seconds; 0 = DefaultTiming's
	Omit      time.Duration     // warm-up discarded from each test, whole seconds; 0 = none
	Repeats   int               // samples per group; 0 = DefaultRepeats
	Nodes     []string          // the node pair: client side A, server side B; nil = the first two nodes
	UDPRate   uint64            // target bits/s per stream of UDP tests; 0 = DefaultUDPRate
	MsgSize   int               // bytes per write (TCP) or datagram (UDP); 0 = engine default
	MSS       int               // TCP_MAXSEG of TCP tests' client sockets; 0 = the path's
	// Discard: TCP throughput tests' receivers drop the bytes in the
	// kernel, unread (engine.Spec.Discard): the network without the copy
	// applications pay, named in every report. UDP and latency tests
	// read as always.
	Discard bool
	// Knobs are each variant's own message size or MSS, by label (a sweep
	// of them: SweepVariants); RunVariants sets them from its variants.
	Knobs     map[string]Knobs
	Order     Order    // "" = DefaultOrder
	RTTProbes int      // handshakes timed before each test (idle RTT); 0 = DefaultRTTProbes, <0 = none
	Port      int      // servers' port; 0 = engine.DefaultPort
	Variants  []string // labels of the cluster variants, in run order; nil = one, unlabelled
	Seed      uint64   // randomises the order within rounds; 0 = 1 (the CLI draws one per run and records it)
	// Kinds are the kinds of test run on every scenario: throughput, rr,
	// crr, udp-rr (latency.go); nil = throughput only.
	Kinds []string
	// LatencyDuration is each latency test's length; 0 = DefaultLatencyDuration.
	LatencyDuration time.Duration
	// UDPMaxSizes are the udp-max searches' datagram sizes (0 = the path's
	// MTU; nil = DefaultUDPMaxSizes), LossThreshold the loss a trial may
	// have and pass (0 = ratesearch's 0.1%), UDPMaxTrial each trial's
	// length (0 = DefaultUDPMaxTrial).
	UDPMaxSizes   []int
	LossThreshold float64
	UDPMaxTrial   time.Duration
	// KneeDrop is the goodput fall a sweep's knee is looked for at
	// (runrecord.ComputeSweeps); 0 = runrecord.DefaultKneeDrop.
	KneeDrop float64
	// RealCluster: the plan runs on a real cluster (kube), where round trips
	// are long enough for TCP's start-up to weigh on a test without --omit.
	RealCluster bool
}

// DefaultTiming is each test's measured time and warm-up when nothing
// sets them: the lab's fast defaults, or a real cluster's.
func DefaultTiming(realCluster bool) (duration, omit time.Duration) {
	if realCluster {
		return DefaultKubeDuration, DefaultKubeOmit
	}
	return DefaultDuration, DefaultOmit
}

// WithDefaults fills the zero fields (Omit 0 stays: no warm-up). It does
// not validate.
func (p Plan) WithDefaults() Plan {
	if len(p.Protocols) == 0 {
		p.Protocols = []engine.Protocol{engine.TCP}
	}
	if len(p.Streams) == 0 {
		p.Streams = []int{1}
	}
	if p.Duration == 0 {
		p.Duration, _ = DefaultTiming(p.RealCluster)
	}
	if p.Repeats == 0 {
		p.Repeats = DefaultRepeats
	}
	if p.UDPRate == 0 {
		p.UDPRate = DefaultUDPRate
	}
	if p.Order == "" {
		p.Order = DefaultOrder
	}
	if p.RTTProbes == 0 {
		p.RTTProbes = DefaultRTTProbes
	}
	if p.Port == 0 {
		p.Port = engine.DefaultPort
	}
	if p.Seed == 0 {
		p.Seed = 1
	}
	if len(p.Variants) == 0 {
		p.Variants = []string{""}
	}
	return p
}

// Validate explains everything wrong with a defaulted plan, one problem
// per line, each with what to use instead.
func (p Plan) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	seen := map[string]bool{}
	for _, name := range p.Scenarios {
		if _, err := LookupScenario(name); err != nil {
			errs = append(errs, err)
		} else if seen[name] {
			bad("scenario %q is listed twice", name)
		}
		seen[name] = true
	}
	if p.Scenarios != nil && len(p.Scenarios) == 0 {
		bad("no scenarios: name at least one, or leave the list out for all of them")
	}
	if len(p.Protocols) == 0 {
		bad("no protocol: use tcp, udp or tcp,udp")
	}
	if len(p.Streams) == 0 {
		bad("no stream count: use e.g. 1 or 1,4")
	}
	protos := map[engine.Protocol]bool{}
	for _, pr := range p.Protocols {
		switch {
		case pr != engine.TCP && pr != engine.UDP:
			bad("unknown protocol %q: use tcp, udp or tcp,udp", pr)
		case protos[pr]:
			bad("protocol %q is listed twice", pr)
		}
		protos[pr] = true
	}
	streams := map[int]bool{}
	for _, n := range p.Streams {
		switch {
		case n < 1 || n > engine.MaxStreams:
			bad("streams %d: use 1..%d parallel streams", n, engine.MaxStreams)
		case streams[n]:
			bad("streams %d is listed twice", n)
		}
		streams[n] = true
	}
	switch {
	case p.Duration < time.Second:
		bad("duration %v: use at least 1s", p.Duration)
	case p.Duration%time.Second != 0:
		bad("duration %v: iperf3's protocol carries whole seconds; use e.g. %v", p.Duration, p.Duration.Truncate(time.Second)+time.Second)
	}
	switch {
	case p.Omit < 0:
		bad("omit %v: use 0 (no warm-up) or whole seconds like 1s", p.Omit)
	case p.Omit%time.Second != 0:
		bad("omit %v: iperf3's protocol carries whole seconds; use 0 or e.g. 1s", p.Omit)
	}
	if p.Duration+p.Omit > MaxTestTime {
		bad("duration %v + omit %v: one test may last at most %v", p.Duration, p.Omit, MaxTestTime)
	}
	if p.Repeats < 1 {
		bad("repeats %d: use at least 1 (%d or more for a significance test, %d by default)", p.Repeats, MinRepeatsForSignificance, DefaultRepeats)
	}
	switch {
	case len(p.Nodes) == 0:
	case len(p.Nodes) != 2:
		bad("nodes %s: name exactly two nodes, the client's and the server's, like node-1,node-2", strings.Join(p.Nodes, ","))
	case p.Nodes[0] == p.Nodes[1]:
		bad("nodes %s,%s: name two different nodes (pod-pod-same measures within one node)", p.Nodes[0], p.Nodes[1])
	}
	if p.RTTProbes > MaxRTTProbes {
		bad("%d RTT probes: use at most %d, or 0 for none", p.RTTProbes, MaxRTTProbes)
	}
	errs = append(errs, validateKnobs(p.MsgSize, p.MSS, protos[engine.TCP], protos[engine.UDP])...)
	if p.Discard && (!protos[engine.TCP] || !p.throughput()) {
		bad("discard drops what TCP throughput tests receive, and this plan has none: drop --discard, or add --protocol tcp and --tests throughput")
	}
	for _, v := range p.Variants {
		if k, ok := p.Knobs[v]; ok {
			for _, err := range validateKnobs(k.MsgSize, k.MSS, protos[engine.TCP], protos[engine.UDP]) {
				errs = append(errs, fmt.Errorf("%s: %w", v, err))
			}
		}
	}
	if p.Order != Interleaved && p.Order != Sequential {
		bad("order %q: use %s or %s", p.Order, Interleaved, Sequential)
	}
	if p.Port < 1 || p.Port > 65535 {
		bad("port %d: use 1..65535", p.Port)
	}
	errs = append(errs, p.validateTests()...)
	errs = append(errs, p.validateUDPMax()...)
	labels := map[string]bool{}
	for _, v := range p.Variants {
		if labels[v] {
			bad("variant %q is listed twice", v)
		}
		labels[v] = true
	}
	return errors.Join(errs...)
}

// Warnings are legal choices that weaken the result, with advice.
func (p Plan) Warnings() []string {
	var w []string
	if p.Repeats < MinRepeatsForSignificance {
		w = append(w, fmt.Sprintf("%d repeats: with fewer than %d the significance test can never call a difference real; use --repeats %d or more",
			p.Repeats, MinRepeatsForSignificance, DefaultRepeats))
	}
	if p.RealCluster && p.Omit == 0 {
		w = append(w, "--omit 0 on a real cluster: slow start and buffer autotuning fall inside the measured time and weigh more on paths with a longer round trip (encapsulated, Service), biasing their overhead up; use --omit 1s or more")
	}
	if p.Scenarios != nil {
		for _, b := range p.baselines() {
			if !slices.Contains(p.Scenarios, b) {
				w = append(w, fmt.Sprintf("added %s: %s", b, addedBecause(b)))
			}
		}
	}
	return w
}

// addedBecause says why a baseline the plan did not name is measured.
func addedBecause(baseline string) string {
	switch baseline {
	case runrecord.LocalBaselineScenario:
		return "same-node scenarios are compared with two host processes on their node, measured in the same run"
	case runrecord.ExternalBaselineScenario:
		return "scenarios out of the cluster are compared with node A's host network reaching the same external server, measured in the same run"
	}
	return "every scenario is compared with the baseline measured in the same run"
}

// ScenarioList is the plan's scenarios in table order, the default set
// when the plan names none, with the baselines they are compared with
// added: node-node always, node-node-same when a same-node scenario is in
// the plan, node-external when one out of the cluster is.
func (p Plan) ScenarioList() []Scenario {
	want := func(s Scenario) bool {
		if p.Scenarios == nil {
			return !s.OnRequest
		}
		return slices.Contains(p.Scenarios, s.Name)
	}
	needed := map[string]bool{runrecord.BaselineScenario: true}
	for _, s := range Scenarios {
		if want(s) {
			needed[s.BaselineName()] = true
		}
	}
	var list []Scenario
	for _, s := range Scenarios {
		if want(s) || needed[s.Name] {
			list = append(list, s)
		}
	}
	return list
}

// baselines names the plan's baseline scenarios, in table order.
func (p Plan) baselines() []string {
	var names []string
	for _, s := range p.ScenarioList() {
		if s.IsBaseline() {
			names = append(names, s.Name)
		}
	}
	return names
}

// Group is one scenario × protocol × streams combination on one variant:
// every test of a group measures the same thing.
type Group struct {
	Variant  string
	Scenario Scenario
	Protocol engine.Protocol
	Streams  int
	// Latency is the latency test of a latency group (Protocol and
	// Streams unset); "" for a throughput group.
	Latency engine.LatencyMode
}

// Test is one test of a plan: one repeat of one group.
type Test struct {
	Group
	Repeat  int // 1-based
	Repeats int
	// Round is the round of an interleaved order the test runs in
	// (1-based; the same as Repeat), 0 in a sequential order, whose repeats
	// of a group run back to back and share no round with the baseline.
	Round int
}

// String names the test the way progress lines show it.
func (t Test) String() string {
	s := fmt.Sprintf("%s %s ×%d #%d/%d", t.Scenario.Name, t.Protocol, t.Streams, t.Repeat, t.Repeats)
	if t.Latency != "" {
		s = fmt.Sprintf("%s %s #%d/%d", t.Scenario.Name, t.Latency, t.Repeat, t.Repeats)
	}
	if t.Variant != "" {
		s = t.Variant + " " + s
	}
	return s
}

// Groups lists one variant's groups in round order: scenarios (baseline
// first), then protocols, then streams, then the scenario's latency tests.
func (p Plan) Groups(variant string) []Group {
	var gs []Group
	for _, sc := range p.ScenarioList() {
		for _, pr := range p.Protocols {
			for _, n := range p.Streams {
				if p.throughput() {
					gs = append(gs, Group{Variant: variant, Scenario: sc, Protocol: pr, Streams: n})
				}
			}
		}
		gs = append(gs, p.latencyGroups(variant, sc)...)
	}
	return gs
}

// Tests lists every test of a defaulted plan in run order: variant by
// variant (each variant is its own cluster), and within a variant as Order
// says. Tests run one at a time, never two at once.
func (p Plan) Tests() []Test {
	var tests []Test
	for _, v := range p.Variants {
		tests = append(tests, p.variantTests(v)...)
	}
	return tests
}

func (p Plan) variantTests(variant string) []Test {
	groups := p.Groups(variant)
	var tests []Test
	if p.Order == Sequential {
		for _, g := range groups {
			for r := 1; r <= p.Repeats; r++ {
				tests = append(tests, Test{Group: g, Repeat: r, Repeats: p.Repeats})
			}
		}
		return tests
	}
	for r, order := range roundOrders(len(groups), p.Repeats, p.Seed, variant) {
		for _, i := range order {
			tests = append(tests, Test{Group: groups[i], Repeat: r + 1, Repeats: p.Repeats, Round: r + 1})
		}
	}
	return tests
}

// Spec is the engine spec of one of the plan's tests.
func (p Plan) Spec(g Group) engine.Spec {
	sp := engine.Spec{
		Protocol: g.Protocol, Streams: g.Streams, Duration: p.Duration, Omit: p.Omit,
		Length: p.MsgSize, Interval: interval(p.Duration), ConnectTimeout: connectTimeout,
		RTTProbes: max(p.RTTProbes, 0),
	}
	if g.Protocol == engine.UDP {
		sp.Rate = p.UDPRate
	} else {
		sp.MSS, sp.Discard = p.MSS, p.Discard
	}
	return p.Knobs[g.Variant].spec(sp)
}

// connectTimeout bounds a test's connect: a server that is not there fails
// the test quickly instead of after the engine's 30 s.
const connectTimeout = 5 * time.Second

// interval gives a test at least four reporting intervals (for the
// report's time series) and at most one a second.
func interval(d time.Duration) time.Duration {
	iv := min(time.Second, d/4)
	return max(iv, 100*time.Millisecond)
}

// Record is the plan as the run record keeps it.
func (p Plan) Record() runrecord.Plan {
	var names []string
	baselines := map[string]string{}
	for _, s := range p.ScenarioList() {
		names = append(names, s.Name)
		baselines[s.Name] = s.BaselineName()
	}
	rp := runrecord.Plan{
		Scenarios: names, Baselines: baselines, Protocols: recordProtocols(p.Protocols), Streams: slices.Clone(p.Streams),
		Duration: runrecord.Duration(p.Duration), Omit: runrecord.Duration(p.Omit), Repeats: p.Repeats,
		MsgSize: p.MsgSize, Nodes: slices.Clone(p.Nodes), Order: string(p.Order), RTTProbes: max(p.RTTProbes, 0),
		MSS: p.MSS, KneeDrop: p.KneeDrop, Discard: p.Discard,
	}
	if p.Order != Sequential {
		rp.Seed = p.Seed
	}
	if slices.Contains(p.Protocols, engine.UDP) {
		rp.UDPRate, rp.UDPDatagram = p.UDPRate, p.MsgSize
	}
	if slices.Contains(p.Protocols, engine.TCP) {
		rp.TCPWrite = cmp.Or(p.MsgSize, engine.DefaultTCPLength)
	}
	if p.sweepsMsgSize() { // each test's spec.length says it; no one size is the run's
		rp.TCPWrite, rp.UDPDatagram = 0, 0
	}
	p.recordKinds(&rp)
	p.recordUDPMax(&rp)
	for label, k := range p.Knobs {
		if k.Family != 0 {
			if rp.IPFamilies == nil {
				rp.IPFamilies = map[string]int{}
			}
			rp.IPFamilies[label] = int(k.Family)
		}
	}
	if len(p.Variants) > 1 || (len(p.Variants) == 1 && p.Variants[0] != "") {
		rp.Variants = slices.Clone(p.Variants)
	}
	return rp
}

// Estimate is how long the plan's tests take, plus a guess of each test's
// setup (connect, handshake, results exchange).
func (p Plan) Estimate() time.Duration {
	var d time.Duration
	for _, t := range p.Tests() {
		if t.Latency != "" {
			d += p.LatencySpec(t.Group).Duration + perTestOverhead
		} else {
			d += p.Duration + p.Omit + perTestOverhead
		}
	}
	return d + p.udpMaxEstimate()
}

// perTestOverhead is a test's time besides duration and omit, measured on
// the lab (connect, parameter exchange, results exchange).
const perTestOverhead = 100 * time.Millisecond

// sweepsMsgSize reports whether the variants set message sizes of their own.
func (p Plan) sweepsMsgSize() bool {
	for _, k := range p.Knobs {
		if k.MsgSize > 0 {
			return true
		}
	}
	return false
}
