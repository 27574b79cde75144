// Package runrecord is the run model: one Run holds everything a cnibench
// run measured and knew (plan, cluster facts, paths, every sample with its
// full engine result, every summary). It is written once as JSON and every
// report is rendered from it; docs/run-json.md documents the schema. It owns
// its types, so the schema depends on no engine or cluster struct: the run
// maps those into it, and its readers (stats, report) import neither.
package runrecord

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/cnibench/cnibench/internal/stats"
	"github.com/cnibench/cnibench/internal/version"
)

// SchemaVersion names the JSON schema this package reads and writes. A
// change that old readers would misread gets a new version.
const SchemaVersion = "cnibench.run/v1"

// BaselineScenario is the baseline of the cross-node scenarios: host
// network to host network across nodes.
const BaselineScenario = "node-node"

// LocalBaselineScenario is the baseline of the same-node scenarios: two
// host processes on one node, the client's host network to its own node
// address. A same-node path never meets the link between nodes, so
// node-node is not the bare path it replaces.
const LocalBaselineScenario = "node-node-same"

// ExternalBaselineScenario is the baseline of the paths that leave the
// cluster: node A's host network to a server outside the cluster.
const ExternalBaselineScenario = "node-external"

// Run is one cnibench run.
type Run struct {
	SchemaVersion   string          `json:"schema_version"`
	ID              string          `json:"id,omitempty"` // the run ID labelling what the run created
	CnibenchVersion version.Info    `json:"cnibench_version"`
	CommandLine     []string        `json:"command_line"`
	Start           time.Time       `json:"start"`
	End             time.Time       `json:"end"`
	Complete        bool            `json:"complete"` // false when the run was interrupted
	Cluster         ClusterInfo     `json:"cluster"`
	Plan            Plan            `json:"plan"`
	Paths           []PathRecord    `json:"paths"`
	Samples         []Sample        `json:"samples"`
	Summaries       []stats.Summary `json:"summaries"`
	// Attempts are the invocations that measured the samples when the run
	// was resumed (attempts.go); absent for a run measured in one go.
	Attempts []Attempt `json:"attempts,omitempty"`
	// PlanFile is every setting of the run by the name of the flag that
	// sets it, as a plan file (`cnibench run -f`) holds them: what
	// `cnibench run --from` repeats the run with. Absent in records of
	// runs not made by the cnibench command.
	PlanFile map[string]any `json:"plan_file,omitempty"`
	// LatencySamples and LatencySummaries are the latency tests (rr, crr,
	// udp-rr; latency.go), absent when the run measured none.
	LatencySamples   []LatencySample        `json:"latency_samples,omitempty"`
	LatencySummaries []stats.LatencySummary `json:"latency_summaries,omitempty"`
	// Faults are the endpoints lost during the run and what was done
	// about them (faults.go); absent when nothing was lost.
	Faults []Fault `json:"faults,omitempty"`
	// Sweeps are the curves along every knob the run measured at more
	// than one value (sweeps.go), absent when it swept none.
	Sweeps []Sweep `json:"sweeps,omitempty"`
	// UDPMax are the maximum loss-free UDP rate searches (udpmax.go),
	// absent when the run ran none.
	UDPMax []UDPMax `json:"udp_max,omitempty"`
}

// New starts the record of a run: schema and cnibench version filled in,
// Complete false until the caller says otherwise.
func New(commandLine []string, info ClusterInfo, plan Plan, start time.Time) *Run {
	return &Run{
		SchemaVersion:   SchemaVersion,
		CnibenchVersion: version.Get(),
		CommandLine:     slices.Clone(commandLine),
		Start:           start,
		Cluster:         info,
		Plan:            plan,
	}
}

// Plan is what the run set out to measure.
type Plan struct {
	Scenarios []string         `json:"scenarios"`
	Protocols []stats.Protocol `json:"protocols"`
	Streams   []int            `json:"streams"`
	Duration  Duration         `json:"duration"` // measured time of each test, after Omit
	Omit      Duration         `json:"omit"`     // warm-up discarded from each test
	Repeats   int              `json:"repeats"`
	UDPRate   uint64           `json:"udp_rate,omitempty"` // bits/s per stream; 0 = engine default
	MsgSize   int              `json:"msg_size,omitempty"` // bytes per write/datagram; 0 = engine default
	MSS       int              `json:"mss,omitempty"`      // TCP_MAXSEG of TCP tests; 0 = the path's
	// TCPWrite is the bytes of each TCP write, default included, when the
	// plan has TCP; UDPDatagram the bytes of each UDP datagram when fixed
	// (absent: each test's path MSS, in its result's spec.length). Both
	// change CPU-bound results; records before them say only msg_size.
	TCPWrite    int `json:"tcp_write,omitempty"`
	UDPDatagram int `json:"udp_datagram,omitempty"`
	// Discard: the TCP throughput tests' receivers dropped the bytes in
	// the kernel, unread (cnibench run --discard): goodput without the
	// copy to the program that every application pays.
	Discard   bool     `json:"discard,omitempty"`
	Variants  []string `json:"variants,omitempty"`   // e.g. "datapath=routed"; the matrix runs once per variant
	Nodes     []string `json:"nodes,omitempty"`      // the node pair measured
	Order     string   `json:"order,omitempty"`      // "interleaved" (round-robin over scenarios) or "sequential"
	RTTProbes int      `json:"rtt_probes,omitempty"` // TCP handshakes timed before each test (idle RTT); 0 = none
	Seed      uint64   `json:"seed,omitempty"`       // the seed of the interleaved order (--seed reproduces it)
	// Baselines names, for each scenario, the scenario it is compared
	// with (a baseline names itself); absent in records that compared
	// every scenario with node-node.
	Baselines map[string]string `json:"baselines,omitempty"`
	// Tests are the kinds of test run on each scenario (throughput, rr,
	// crr, udp-rr); absent = throughput only (records before latency tests).
	Tests           []string `json:"tests,omitempty"`
	LatencyDuration Duration `json:"latency_duration,omitempty"` // of each latency test
	// KneeDrop is the goodput fall a sweep's knee is looked for at
	// (sweeps.go); absent = DefaultKneeDrop.
	KneeDrop float64 `json:"knee_drop,omitempty"`
	// UDPMaxSizes are the datagram sizes of the udp-max searches (0 = the
	// path's MTU), LossThreshold the loss a trial may have and pass,
	// UDPMaxTrial each trial's length; absent without udp-max.
	UDPMaxSizes   []int    `json:"udp_max_sizes,omitempty"`
	LossThreshold float64  `json:"loss_threshold,omitempty"`
	UDPMaxTrial   Duration `json:"udp_max_trial,omitempty"`
	// IPFamilies is, by variant label, the address family (4 or 6) its
	// tests connected over, for the variants of an --ip-family run;
	// absent = each test's own address (the cluster's first, IPv4).
	IPFamilies map[string]int `json:"ip_families,omitempty"`
}

// BaselineOf names the scenario that scenario is compared with: the
// plan's choice, or node-node for records without one.
func (p Plan) BaselineOf(scenario string) string {
	if b, ok := p.Baselines[scenario]; ok && b != "" {
		return b
	}
	return BaselineScenario
}

// IsBaseline reports whether scenario is a baseline of the plan: one
// compared with itself.
func (p Plan) IsBaseline(scenario string) bool { return p.BaselineOf(scenario) == scenario }

// PathRecord is the network one scenario's tests crossed.
type PathRecord struct {
	Variant    string     `json:"variant,omitempty"`
	Scenario   string     `json:"scenario"`
	From       string     `json:"from"`
	To         string     `json:"to"`
	TargetKind TargetKind `json:"target_kind"`
	Path       Path       `json:"path"`
}

// Sample is one test: one repeat of one scenario group.
type Sample struct {
	Variant    string         `json:"variant,omitempty"`
	Scenario   string         `json:"scenario"`
	Protocol   stats.Protocol `json:"protocol"`
	Streams    int            `json:"streams"`
	Repeat     int            `json:"repeat"`          // 1-based
	Round      int            `json:"round,omitempty"` // of the interleaved order (1-based, = Repeat); 0 = sequential order or an older record
	From       string         `json:"from"`            // endpoint names
	To         string         `json:"to"`
	TargetKind TargetKind     `json:"target_kind"`
	Start      time.Time      `json:"start"`
	End        time.Time      `json:"end"`
	Result     *Result        `json:"result,omitempty"` // nil when the test failed
	Error      string         `json:"error,omitempty"`
	Attempt    int            `json:"attempt,omitempty"` // 1-based index into Run.Attempts; 0 = the run was never resumed
	// NodeCPU is the measured nodes' CPU over the test (nodecpu.go);
	// absent when the cluster cannot read it or the test failed.
	NodeCPU *NodeCPU `json:"node_cpu,omitempty"`
	Retry   int      `json:"retry,omitempty"` // 0 = the test's first try; n = its n-th run again after a fault (Run.Faults)
	// Retried marks a failed try that a fault explains and that was run
	// again (the sample of the next Retry): it is kept, but it is not
	// the group's failure.
	Retried bool `json:"retried,omitempty"`
}

// Key is the scenario group the sample belongs to.
func (s Sample) Key() stats.Key {
	return stats.Key{Variant: s.Variant, Scenario: s.Scenario, Protocol: s.Protocol, Streams: s.Streams}
}

// Failed reports whether the sample is excluded from every figure.
func (s Sample) Failed() bool { return s.Result == nil || s.Error != "" }

// Duration is a time.Duration written as Go's duration string ("10s").
type Duration time.Duration

// MarshalJSON writes d as a string like "10s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string, or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var ns int64
		if err := json.Unmarshal(b, &ns); err != nil {
			return fmt.Errorf("duration: want a string like \"10s\": %s", b)
		}
		*d = Duration(ns)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = Duration(v)
	return nil
}

// String is the Go duration string.
func (d Duration) String() string { return time.Duration(d).String() }
