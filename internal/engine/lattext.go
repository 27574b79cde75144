package engine

import (
	"fmt"
	"strings"
)

// FormatLatency renders a latency result as text in the manner of
// sockperf's summary: what ran, the counts, then percentiles in µs from the
// largest to the smallest.
func FormatLatency(r *LatencyResult) string {
	var b strings.Builder
	s := r.Spec
	loop := "closed loop"
	if s.Rate > 0 {
		loop = fmt.Sprintf("open loop at %g/s (at most %d in flight)", s.Rate, s.MaxOutstanding)
	}
	fmt.Fprintf(&b, "cnibench %s to %s: %d-byte requests, %d-byte responses, %s\n", s.Mode, r.Remote, s.RequestSize, s.ResponseSize, loop)
	fmt.Fprintf(&b, "[Total Run] %.3f s; %d transactions (%.1f/s)", r.Seconds, r.Transactions, r.TransactionsPerSecond)
	switch s.Mode {
	case UDPRR:
		fmt.Fprintf(&b, "; lost %d; duplicated %d; reordered %d\n", r.Lost, r.Duplicated, r.Reordered)
	case CRR:
		fmt.Fprintf(&b, "; errors %d\n", r.Errors)
	default:
		b.WriteString("\n")
	}
	if r.Transactions == 0 {
		b.WriteString("no transaction completed: no latency to report\n")
		return b.String()
	}
	fmt.Fprintf(&b, "Summary: round trip is %.3f µs (mean)\n", r.MeanUs)
	for _, row := range []struct {
		name string
		us   float64
	}{
		{"<MAX> observation", r.MaxUs}, {"percentile 99.900", r.P999Us}, {"percentile 99.000", r.P99Us},
		{"percentile 90.000", r.P90Us}, {"percentile 50.000", r.P50Us}, {"<MIN> observation", r.MinUs},
	} {
		fmt.Fprintf(&b, "---> %-17s = %10.3f µs\n", row.name, row.us)
	}
	return b.String()
}
