package runrecord

import (
	"time"

	"github.com/cnibench/cnibench/internal/stats"
)

// Test names of Plan.Tests: the throughput tests, and the latency tests
// (LatencySample.Test).
const (
	TestThroughput = "throughput"
	TestRR         = "rr"
	TestCRR        = "crr"
	TestUDPRR      = "udp-rr"
	TestRRLoad     = "rr-load" // rr while a bulk TCP stream runs on the same path
)

// LatencySample is one latency test (rr, crr, udp-rr): one repeat of one
// scenario's latency group. Result is nil when the test failed: a failed
// test has no figure, never 0.
type LatencySample struct {
	Variant    string         `json:"variant,omitempty"`
	Scenario   string         `json:"scenario"`
	Test       string         `json:"test"`   // rr, crr or udp-rr
	Repeat     int            `json:"repeat"` // 1-based
	From       string         `json:"from"`
	To         string         `json:"to"`
	TargetKind TargetKind     `json:"target_kind"`
	Start      time.Time      `json:"start"`
	End        time.Time      `json:"end"`
	Result     *LatencyResult `json:"result,omitempty"`
	Error      string         `json:"error,omitempty"`
	Attempt    int            `json:"attempt,omitempty"`
	Retry      int            `json:"retry,omitempty"`   // as Sample.Retry
	Retried    bool           `json:"retried,omitempty"` // as Sample.Retried
}

// Key is the latency group the sample belongs to.
func (s LatencySample) Key() stats.LatencyKey {
	return stats.LatencyKey{Variant: s.Variant, Scenario: s.Scenario, Test: s.Test}
}

// Failed reports whether the sample is excluded from every figure.
func (s LatencySample) Failed() bool { return s.Result == nil || s.Error != "" }

// LatencySpec mirrors the engine's latency spec field for field.
type LatencySpec struct {
	Mode           string        `json:"mode"`
	Duration       time.Duration `json:"duration,omitempty"`
	Transactions   int64         `json:"transactions,omitempty"`
	RequestSize    int           `json:"request_size"`
	ResponseSize   int           `json:"response_size"`
	Rate           float64       `json:"rate,omitempty"`
	MaxOutstanding int           `json:"max_outstanding,omitempty"`
	Timeout        time.Duration `json:"timeout,omitempty"`
	ConnectTimeout time.Duration `json:"connect_timeout,omitempty"`
	Family         int           `json:"family,omitempty"`
}

// LatencyResult mirrors the engine's latency result field for field:
// figures in µs from the HDR histogram of every transaction, and the
// histogram itself (V2 compressed, base64; values in ns).
type LatencyResult struct {
	Spec                  LatencySpec `json:"spec"`
	Start                 time.Time   `json:"start"`
	End                   time.Time   `json:"end"`
	Local                 string      `json:"local,omitempty"`
	Remote                string      `json:"remote,omitempty"`
	Seconds               float64     `json:"seconds"`
	Transactions          int64       `json:"transactions"`
	TransactionsPerSecond float64     `json:"transactions_per_second"`
	Errors                int64       `json:"errors"`
	Lost                  int64       `json:"lost"`
	Duplicated            int64       `json:"duplicated"`
	Reordered             int64       `json:"reordered"`
	MinUs                 float64     `json:"min_us,omitempty"`
	MeanUs                float64     `json:"mean_us,omitempty"`
	P50Us                 float64     `json:"p50_us,omitempty"`
	P90Us                 float64     `json:"p90_us,omitempty"`
	P99Us                 float64     `json:"p99_us,omitempty"`
	P999Us                float64     `json:"p99_9_us,omitempty"`
	MaxUs                 float64     `json:"max_us,omitempty"`
	Histogram             string      `json:"histogram"`
}

// LatencyGroup is the samples of one latency group, in run order.
type LatencyGroup struct {
	Key     stats.LatencyKey
	Samples []LatencySample
}

// LatencyGroups splits the latency samples into groups in the plan's order
// (variants as they ran, scenarios with the baseline first, then tests as
// the plan lists them).
func (r *Run) LatencyGroups() []LatencyGroup {
	var groups []LatencyGroup
	for _, g := range inPlanOrder(r.LatencySamples, LatencySample.Key, func(k stats.LatencyKey) string { return k.Variant }, func(k stats.LatencyKey) []int {
		return []int{planIndex(r.Plan.Scenarios, k.Scenario), planIndex(r.Plan.Tests, k.Test)}
	}) {
		groups = append(groups, LatencyGroup{Key: g.key, Samples: g.samples})
	}
	return groups
}

// Stats is the statistics' input of the group.
func (g LatencyGroup) Stats() stats.LatencyGroup {
	sg := stats.LatencyGroup{Key: g.Key}
	for _, s := range g.Samples {
		if s.Failed() {
			if !s.Retried {
				sg.Errors = append(sg.Errors, s.Error)
			}
			continue
		}
		sg.Samples = append(sg.Samples, stats.LatencySample{P50Us: s.Result.P50Us, P99Us: s.Result.P99Us, PerSecond: s.Result.TransactionsPerSecond})
	}
	return sg
}

// summarizeLatency computes every latency group's summary into
// r.LatencySummaries, each against the baseline scenario's group of the
// same variant and test (rr under load also against its scenario's idle
// rr), and corrects their tests together (Holm).
func (r *Run) summarizeLatency(cfg stats.Config) {
	groups := r.LatencyGroups()
	r.LatencySummaries = nil
	if len(groups) == 0 {
		return
	}
	inputs := make(map[stats.LatencyKey]stats.LatencyGroup, len(groups))
	for _, g := range groups {
		inputs[g.Key] = g.Stats()
	}
	for _, g := range groups {
		bk := g.Key
		bk.Scenario = r.Plan.BaselineOf(g.Key.Scenario) // node-node-same for same-node paths
		var base *stats.LatencyGroup
		if b, ok := inputs[bk]; ok {
			base = &b
		}
		s := cfg.SummarizeLatency(inputs[g.Key], base)
		idle := g.Key
		idle.Test = TestRR
		if i, ok := inputs[idle]; ok && g.Key.Test == TestRRLoad {
			s.LoadP50Delta = cfg.LoadDelta(inputs[g.Key], i)
		}
		r.LatencySummaries = append(r.LatencySummaries, s)
	}
	cfg.AdjustLatencyFamily(r.LatencySummaries)
}

// FailedLatencySamples counts the latency tests that failed.
func (r *Run) FailedLatencySamples() int {
	n := 0
	for _, s := range r.LatencySamples {
		if s.Failed() && !s.Retried {
			n++
		}
	}
	return n
}
