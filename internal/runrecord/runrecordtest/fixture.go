// Package runrecordtest builds plausible run records for tests: a lab run of
// the seed's experiment with fake but realistic engine results (intervals,
// retransmits, CPU), failures, a noisy group and a CPU-bound one, all from a
// seeded generator so renderers can be tested against golden files.
package runrecordtest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
	"github.com/cnibench/cnibench/internal/version"
)

// Options shape a fixture; the zero value is the default run.
type Options struct {
	Variants  []string         // default: datapath=routed, datapath=vxlan
	Scenarios []string         // default: every scenario of the models
	Protocols []stats.Protocol // default: tcp, udp
	Repeats   int              // default 5
	Seed      uint64           // default 1; another seed is a re-run
	Slowdown  float64          // share of TCP goodput lost by every non-baseline scenario (a regression)
	NodeCPU   bool             // give every successful sample its nodes' CPU (nodecpu.go)
	// Discard makes it a --discard run: the plan says so, and every TCP
	// sample's server read with tcp-rcvlowat and discarded (peer modes).
	Discard bool
	// Scale multiplies a variant's scenario's TCP goodput (a sweep's
	// curve); nil = 1.
	Scale func(variant, scenario string) float64
}

// Defaults of the fixture.
var (
	DefaultVariants  = []string{"datapath=routed", "datapath=vxlan"}
	DefaultScenarios = []string{"node-node", "pod-node", "pod-pod-cross", "node-node-same", "pod-pod-same", "pod-clusterip", "pod-nodeport"}
	DefaultProtocols = []stats.Protocol{stats.TCP, stats.UDP}
	Start            = time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
)

const (
	duration = 3 * time.Second
	omit     = time.Second
	udpRate  = 100e6
)

// Run is the default fixture, summarised.
func Run() *runrecord.Run { return Build(Options{}) }

// Build makes a summarised fixture run.
func Build(o Options) *runrecord.Run {
	if o.Variants == nil {
		o.Variants = DefaultVariants
	}
	if o.Scenarios == nil {
		o.Scenarios = DefaultScenarios
	}
	if o.Protocols == nil {
		o.Protocols = DefaultProtocols
	}
	if o.Repeats == 0 {
		o.Repeats = 5
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	rng := rand.New(rand.NewPCG(o.Seed, 2026))
	// node-node-same draws from its own stream, so the other scenarios'
	// figures are those they had before it was added.
	localRng := rand.New(rand.NewPCG(o.Seed, 2027))
	r := &runrecord.Run{
		SchemaVersion:   runrecord.SchemaVersion,
		ID:              fmt.Sprintf("cnib-%04x", o.Seed),
		CnibenchVersion: version.Info{Version: "v0.1.0-test", Commit: "0123456789ab", GoVersion: "go1.26.8", Platform: "linux/amd64"},
		CommandLine:     []string{"cnibench", "run", "--datapath", joinVariants(o.Variants), "--repeats", fmt.Sprint(o.Repeats), "--duration", "3s", "--omit", "1s"},
		Start:           Start,
		Complete:        true,
		Cluster: runrecord.ClusterInfo{Kind: "lab", Name: "cnibench-lab", Nodes: []string{"node-1", "node-2"}, Kernel: "6.1.0-28-amd64", CPUs: 2,
			Details: map[string]any{"link_rate": "10Gbit/s", "underlay_mtu": float64(1500), "datapaths": toAny(o.Variants)}},
		Plan: runrecord.Plan{
			Scenarios: o.Scenarios, Protocols: o.Protocols, Streams: []int{1},
			Duration: runrecord.Duration(duration), Omit: runrecord.Duration(omit), Repeats: o.Repeats,
			UDPRate: udpRate, Variants: o.Variants, Nodes: []string{"node-1", "node-2"}, Order: "interleaved",
			Baselines: baselines(o.Scenarios),
		},
	}
	at := Start
	for _, v := range o.Variants {
		for _, sc := range o.Scenarios {
			m := lookup(v, sc)
			r.Paths = append(r.Paths, runrecord.PathRecord{Variant: v, Scenario: sc, From: m.from, To: m.to, TargetKind: m.target, Path: m.path})
		}
		for rep := 1; rep <= o.Repeats; rep++ {
			for _, sc := range o.Scenarios {
				m := lookup(v, sc)
				for _, p := range o.Protocols {
					s := runrecord.Sample{Variant: v, Scenario: sc, Protocol: p, Streams: 1, Repeat: rep, Round: rep,
						From: m.from, To: m.to, TargetKind: m.target, Start: at}
					switch {
					case m.failAll != "":
						s.Error = m.failAll
						at = at.Add(2 * time.Second)
					case m.failRepeat == rep:
						s.Error = m.failOne
						at = at.Add(3 * time.Second)
					default:
						slow := 1.0
						if !r.Plan.IsBaseline(sc) && p == stats.TCP {
							slow -= o.Slowdown
						}
						if o.Scale != nil && p == stats.TCP {
							slow *= o.Scale(v, sc)
						}
						g := rng
						if sc == runrecord.LocalBaselineScenario {
							g = localRng
						}
						s.Result = m.result(g, p, at, slow)
						if o.Discard && p == stats.TCP {
							s.Result.PeerModes = []string{runrecord.ModeTCPDiscard, "tcp-rcvlowat"}
						}
						if o.NodeCPU {
							s.NodeCPU = m.nodeCPU(s.Result)
						}
						at = s.Result.End
					}
					s.End = at
					at = at.Add(time.Second)
					r.Samples = append(r.Samples, s)
				}
			}
		}
	}
	r.End = at
	r.Plan.Discard = o.Discard
	r.Summarize(stats.Config{})
	return r
}

// model is how one scenario behaves on one datapath.
type model struct {
	gbps, cv     float64 // TCP median goodput and its spread
	loss, jitter float64 // UDP: typical loss % and jitter ms
	cpuSnd       float64 // % of a core
	cpuRcv       float64
	retr         float64 // typical TCP retransmits per test
	failAll      string  // every sample fails with this
	failOne      string  // sample failRepeat fails with this
	failRepeat   int
	from, to     string
	target       runrecord.TargetKind
	path         runrecord.Path
}

var (
	hostPath   = runrecord.Path{Datapath: "host", MTU: 1500, UnderlayMTU: 1500, LinkRate: 10e9}
	routedPath = runrecord.Path{Datapath: "routed", MTU: 1500, UnderlayMTU: 1500, LinkRate: 10e9}
	vxlanPath  = runrecord.Path{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 1450, UnderlayMTU: 1500, LinkRate: 10e9}
	// vxlanPodPath is a pod's path that leaves its node unencapsulated
	// (pod-node is masqueraded, a NodePort is reached through the node's
	// address): only the pod's MTU is smaller.
	vxlanPodPath = runrecord.Path{Datapath: "vxlan", MTU: 1450, UnderlayMTU: 1500, LinkRate: 10e9}
	// loPath is node-node-same's: a node to its own address, through lo.
	loPath = runrecord.Path{Datapath: "host", MTU: 65536}
)

// baselines is the plan's baseline of each scenario when the fixture
// measures node-node-same (the same-node rows are compared with it); nil,
// as in records written before it, when it does not.
func baselines(scenarios []string) map[string]string {
	if !slices.Contains(scenarios, runrecord.LocalBaselineScenario) {
		return nil
	}
	b := map[string]string{}
	for _, sc := range scenarios {
		b[sc] = runrecord.BaselineScenario
		if sc == runrecord.LocalBaselineScenario || sc == "pod-pod-same" {
			b[sc] = runrecord.LocalBaselineScenario
		}
	}
	return b
}

func lookup(variant, scenario string) model {
	m, ok := models[variant][scenario]
	if !ok {
		m = models["datapath=routed"][scenario]
	}
	ends := map[string][3]string{
		"node-node": {"node-1", "node-2", "direct"}, "pod-node": {"pod-1a", "node-2", "direct"},
		"node-pod": {"node-1", "pod-2a", "direct"}, "pod-pod-cross": {"pod-1a", "pod-2a", "direct"},
		"node-node-same": {"node-1", "node-1", "direct"}, "pod-pod-same": {"pod-1a", "pod-1b", "direct"}, "pod-clusterip": {"pod-1a", "pod-2a", "clusterip"},
		"pod-nodeport": {"pod-1a", "pod-2a", "nodeport"},
	}[scenario]
	m.from, m.to, m.target = ends[0], ends[1], runrecord.TargetKind(ends[2])
	if m.gbps == 0 && m.failAll == "" {
		m.gbps, m.cv, m.loss, m.jitter, m.cpuSnd, m.cpuRcv, m.retr, m.path = 9, 0.01, 0.05, 0.03, 50, 40, 20, routedPath
	}
	return m
}

var models = map[string]map[string]model{
	"datapath=routed": {
		"node-node":      {gbps: 9.41, cv: 0.004, loss: 0.01, jitter: 0.012, cpuSnd: 46, cpuRcv: 38, retr: 12, path: hostPath},
		"pod-node":       {gbps: 9.37, cv: 0.005, loss: 0.01, jitter: 0.014, cpuSnd: 48, cpuRcv: 39, retr: 15, path: routedPath},
		"node-pod":       {gbps: 9.36, cv: 0.005, loss: 0.01, jitter: 0.014, cpuSnd: 47, cpuRcv: 41, retr: 15, path: routedPath},
		"pod-pod-cross":  {gbps: 9.31, cv: 0.005, loss: 0.02, jitter: 0.015, cpuSnd: 49, cpuRcv: 42, retr: 18, path: routedPath},
		"node-node-same": {gbps: 13.9, cv: 0.010, loss: 0.00, jitter: 0.004, cpuSnd: 98, cpuRcv: 84, retr: 0, path: loPath},
		"pod-pod-same":   {gbps: 12.6, cv: 0.012, loss: 0.00, jitter: 0.006, cpuSnd: 97, cpuRcv: 81, retr: 0, path: runrecord.Path{Datapath: "bridge", MTU: 1500}},
		"pod-clusterip":  {gbps: 9.19, cv: 0.006, loss: 0.02, jitter: 0.016, cpuSnd: 50, cpuRcv: 44, retr: 20, path: routedPath},
		"pod-nodeport":   {failAll: "connect 198.18.0.2:30001: connection refused", path: routedPath},
	},
	"datapath=vxlan": {
		"node-node":      {gbps: 9.40, cv: 0.004, loss: 0.01, jitter: 0.012, cpuSnd: 46, cpuRcv: 38, retr: 12, path: hostPath},
		"pod-node":       {gbps: 8.96, cv: 0.006, loss: 0.03, jitter: 0.021, cpuSnd: 55, cpuRcv: 49, retr: 25, path: vxlanPodPath},
		"node-pod":       {gbps: 8.93, cv: 0.006, loss: 0.03, jitter: 0.021, cpuSnd: 53, cpuRcv: 52, retr: 25, path: vxlanPath},
		"pod-pod-cross":  {gbps: 8.72, cv: 0.007, loss: 0.04, jitter: 0.024, cpuSnd: 58, cpuRcv: 55, retr: 31, path: vxlanPath},
		"node-node-same": {gbps: 13.8, cv: 0.010, loss: 0.00, jitter: 0.004, cpuSnd: 98, cpuRcv: 84, retr: 0, path: loPath},
		"pod-pod-same":   {gbps: 12.3, cv: 0.012, loss: 0.00, jitter: 0.006, cpuSnd: 96, cpuRcv: 83, retr: 0, path: runrecord.Path{Datapath: "bridge", MTU: 1450}},
		"pod-clusterip":  {gbps: 8.55, cv: 0.07, loss: 0.06, jitter: 0.031, cpuSnd: 60, cpuRcv: 57, retr: 44, path: vxlanPath},
		"pod-nodeport": {gbps: 8.49, cv: 0.008, loss: 0.05, jitter: 0.028, cpuSnd: 61, cpuRcv: 56, retr: 40, path: vxlanPodPath,
			failOne: "control connection: read tcp 198.18.1.2:40312->198.18.0.2:30001: connection reset by peer", failRepeat: 3},
	},
}

// result fakes one engine result of m starting at start.
func (m model) result(rng *rand.Rand, p stats.Protocol, start time.Time, slow float64) *runrecord.Result {
	spec := runrecord.Spec{Protocol: p, Duration: duration, Streams: 1, Omit: omit, Interval: time.Second, Length: 1 << 20}
	noise := func(cv float64) float64 { return 1 + cv*rng.NormFloat64() }
	var rate float64
	if p == stats.UDP {
		spec.Rate, spec.Length = udpRate, 1400
		rate = udpRate * (1 - m.loss*noise(0.5)/100)
	} else {
		rate = m.gbps * 1e9 * noise(m.cv) * slow
	}
	res := &runrecord.Result{
		Spec: spec, Cookie: fmt.Sprintf("fixture%026d", rng.Uint64()%1e12), Start: start, End: start.Add(duration + omit + 150*time.Millisecond),
		Local: "198.18.1.2:40310", Remote: "198.18.2.2:5201",
		Connected: []runrecord.Connection{{ID: 5, Local: "198.18.1.2:40312", Remote: "198.18.2.2:5201"}},
	}
	cpuScale := 1.0
	if p == stats.UDP {
		cpuScale = 0.12 // a paced 100 Mbit/s costs little CPU
	}
	res.CPU = runrecord.CPU{HostTotal: m.cpuSnd * cpuScale * noise(0.02), RemoteTotal: m.cpuRcv * cpuScale * noise(0.02)}
	res.CPU.HostSystem, res.CPU.HostUser = res.CPU.HostTotal*0.8, res.CPU.HostTotal*0.2
	res.CPU.RemoteSystem, res.CPU.RemoteUser = res.CPU.RemoteTotal*0.85, res.CPU.RemoteTotal*0.15
	secs := duration.Seconds()
	var retrTotal int64
	for i := 0; i < int((omit+duration)/time.Second); i++ {
		is := runrecord.IntervalStream{ID: 5, Start: float64(i), End: float64(i + 1), Seconds: 1, Sender: true, Omitted: i < int(omit/time.Second)}
		f := noise(m.cv * 1.5)
		if is.Omitted {
			f *= 0.85 // slow start
		}
		if p == stats.UDP {
			f = noise(0.001)
		}
		is.BitsPerSecond = rate * f
		is.Bytes = uint64(is.BitsPerSecond / 8)
		if p == stats.TCP {
			is.HasTCPInfo = true
			is.Retransmits = int64(max(0, m.retr/4*noise(0.6)))
			is.SndCwnd, is.RTT, is.RTTVar, is.PMTU = int64(1.2e6*f), int64(180*noise(0.1)), 40, int64(max(m.path.MTU, 1500))
			if !is.Omitted {
				retrTotal += is.Retransmits
			}
		} else {
			is.Packets = int64(is.Bytes / 1400)
			is.LostPackets = int64(float64(is.Packets) * m.loss / 100)
			is.JitterMs = m.jitter * noise(0.2)
		}
		sum := is
		sum.ID = 0
		res.Intervals = append(res.Intervals, runrecord.Interval{Streams: []runrecord.IntervalStream{is}, Sum: sum})
	}
	bytes := uint64(rate * secs / 8)
	sent := runrecord.Totals{Start: 0, End: secs, Seconds: secs, Bytes: bytes, BitsPerSecond: rate, Sender: true, Retransmits: -1}
	recv := sent
	recv.Sender = false
	if p == stats.TCP {
		sent.Retransmits = retrTotal
		sent.Bytes = bytes + uint64(rng.IntN(1<<20))
		sent.BitsPerSecond = float64(sent.Bytes) * 8 / secs
		sent.MaxSndCwnd, sent.MaxRTT, sent.MinRTT, sent.MeanRTT = 1_400_000, 260, 95, 180
		res.SenderCongestion, res.ReceiverCongestion, res.MSS = "cubic", "cubic", max(m.path.MTU, 1500)-52
	} else {
		sent.Packets = int64(bytes / 1400)
		recv.Packets = sent.Packets
		recv.LostPackets = int64(float64(sent.Packets) * m.loss / 100 * noise(0.5))
		recv.LostPercent = float64(recv.LostPackets) / float64(recv.Packets) * 100
		recv.JitterMs = m.jitter * noise(0.2)
		recv.Bytes = bytes - uint64(recv.LostPackets)*1400
		recv.BitsPerSecond = float64(recv.Bytes) * 8 / secs
	}
	res.SumSent, res.SumReceived = sent, recv
	res.Streams = []runrecord.Stream{{ID: 5, Sender: true, Sent: sent, Received: recv}}
	res.ConnectRTT = m.connectRTT(start)
	return res
}

// connectRTT fakes the idle RTT probes of a test of m: 40 µs node to
// node, more through a veth, encapsulation and a Service's DNAT. The
// spread comes from start, not from the rng, so that adding it left every
// other figure of the fixtures as it was.
func (m model) connectRTT(start time.Time) *runrecord.RTT {
	us := 40.0
	switch {
	case m.path.Datapath == "host" && m.path.UnderlayMTU == 0:
		us = 15 // lo
	case m.path.Datapath == "bridge":
		us = 22
	case m.path.Datapath != "host":
		us += 4
	}
	if m.path.Encapsulated {
		us += 14
	}
	if m.target != runrecord.DirectTarget {
		us += 6
	}
	us += float64(start.UnixMilli()%7) - 3
	samples := []float64{us - 2, us - 1, us, us + 1, us + 9}
	return &runrecord.RTT{Probes: len(samples), SamplesUs: samples, MinUs: us - 2, MedianUs: us, P90Us: us + 9, MaxUs: us + 9}
}

// joinVariants turns "datapath=routed", "datapath=vxlan" into "routed,vxlan".
func joinVariants(v []string) string {
	vals := make([]string, len(v))
	for i, s := range v {
		_, vals[i], _ = strings.Cut(s, "=")
	}
	return strings.Join(vals, ",")
}

func toAny(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}
