package runrecord

import "time"

// UDPMax is one RFC 2544 search for a scenario's maximum loss-free UDP
// rate at one datagram size (`cnibench run --tests udp-max`): the highest
// offered rate whose trial lost no more than the plan's loss threshold.
type UDPMax struct {
	Variant  string `json:"variant,omitempty"`
	Scenario string `json:"scenario"`
	// Size is the UDP payload of each datagram in bytes; PathMTU says it
	// was chosen to fill the path's MTU.
	Size    int  `json:"size"`
	PathMTU bool `json:"path_mtu,omitempty"`
	// Found: some rate passed; RateBps is the highest that did (payload
	// bits/s offered), PacketsPerSecond and JitterMs what its trial got.
	Found            bool     `json:"found"`
	RateBps          float64  `json:"rate_bps,omitempty"`
	PacketsPerSecond float64  `json:"packets_per_second,omitempty"`
	JitterMs         *float64 `json:"jitter_ms,omitempty"`
	// Converged: the bracket narrowed to the search's resolution, or the
	// first rate passed; false when the trials ran out first.
	Converged bool `json:"converged"`
	// SenderLimited: the path lost nothing at the most the sender could
	// offer, SenderBps (payload bits/s); RateBps is then that rate, a floor
	// of what the path carries, not the path's rate.
	SenderLimited bool          `json:"sender_limited,omitempty"`
	SenderBps     float64       `json:"sender_bps,omitempty"`
	Trials        []UDPMaxTrial `json:"trials"`
	Error         string        `json:"error,omitempty"` // the search failed: no figure
	// Overhead is 1 − RateBps / the baseline scenario's rate at the same
	// size in the same variant; absent for the baseline and when either
	// found none.
	Overhead         *float64 `json:"overhead,omitempty"`
	BaselineScenario string   `json:"baseline_scenario,omitempty"`
	// Start and End bound the search (absent in records before they were
	// kept).
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	Retry int       `json:"retry,omitempty"` // as Sample.Retry
	// Retried marks a failed search that a fault explains and that was run
	// again (the search of the next Retry): it is kept, but it is neither
	// a figure nor the scenario's failure.
	Retried bool `json:"retried,omitempty"`
}

// UDPMaxTrial is one fixed-rate trial of a search.
type UDPMaxTrial struct {
	OfferedBps    float64 `json:"offered_bps"` // 0: unbounded, as fast as the sender could
	SentBps       float64 `json:"sent_bps"`
	ReceivedBps   float64 `json:"received_bps"`
	Loss          float64 `json:"loss"` // fraction of datagrams lost
	JitterMs      float64 `json:"jitter_ms"`
	Packets       int64   `json:"packets"`
	Passed        bool    `json:"passed"`
	SenderLimited bool    `json:"sender_limited,omitempty"` // sent short of the offered rate
	Repeat        bool    `json:"repeat,omitempty"`         // repeated a failed trial at the same rate (noise)
}

// SummarizeUDPMax sets each search's overhead against its baseline's. A
// search that was sender-limited, or whose baseline's was, gets none: its
// rate may be what the sending host could do, not what the path carries.
func (r *Run) SummarizeUDPMax() {
	for i := range r.UDPMax {
		m := &r.UDPMax[i]
		m.BaselineScenario = r.Plan.BaselineOf(m.Scenario)
		m.Overhead = nil
		if m.BaselineScenario == m.Scenario || !m.Found {
			continue
		}
		for _, b := range r.UDPMax {
			if b.Variant == m.Variant && b.Scenario == m.BaselineScenario && b.Size == m.Size && b.PathMTU == m.PathMTU && b.Found && b.RateBps > 0 &&
				!m.SenderLimited && !b.SenderLimited {
				o := 1 - m.RateBps/b.RateBps
				m.Overhead = &o
			}
		}
	}
}

// FailedUDPMax counts the searches that failed (a retried one does not
// count: the search of its next Retry stands for it).
func (r *Run) FailedUDPMax() int {
	n := 0
	for _, m := range r.UDPMax {
		if m.Error != "" && !m.Retried {
			n++
		}
	}
	return n
}
