package stats

import "testing"

func TestJudge(t *testing.T) {
	base := Summary{Baseline: true, Status: StatusOK}
	header := &Floor{Kind: FloorHeaderTax, Ratio: 0.0345}
	mtu := &Floor{Kind: FloorMTU, Ratio: 0.0016}
	over := func(ratio, lo, hi float64, sig, equiv bool) *Overhead {
		return &Overhead{Ratio: ratio, CI: &Interval{Low: lo, High: hi, Level: 0.95}, Significant: sig,
			Equivalence: &Equivalence{Margin: 0.02, Equivalent: equiv}}
	}
	row := func(o *Overhead, f *Floor) Summary { return Summary{Status: StatusOK, Overhead: o, Floor: f} }
	tests := []struct {
		name     string
		s        Summary
		baseline *Summary
		kind     string
		text     string
	}{
		{"baseline", base, &base, VerdictBaseline, "baseline: the bare path"},
		{"failed", Summary{Status: StatusFailed}, &base, VerdictFailed, "failed: no test succeeded"},
		{"no baseline", row(over(0.01, 0, 0.02, false, false), nil), nil, VerdictNotComparable, "not comparable: no baseline"},
		{"baseline failed", row(nil, nil), &Summary{Baseline: true, Status: StatusFailed}, VerdictNotComparable, "not comparable: baseline failed"},
		{"sender-limited", Summary{Status: StatusOK, SenderLimited: 2, Overhead: over(0.3, 0.2, 0.4, true, false)}, &base, VerdictNotComparable, "not comparable: sender-limited"},
		{"baseline sender-limited", row(over(-0.3, -0.4, -0.2, true, false), nil), &Summary{Baseline: true, Status: StatusOK, SenderLimited: 1}, VerdictNotComparable, "not comparable: baseline sender-limited"},
		{"zero rate", row(nil, header), &base, VerdictNotComparable, "not comparable: a test measured 0 bit/s"},
		{"no interval", row(&Overhead{Ratio: 0.05}, header), &base, VerdictUnclear, "unclear: too few repeats"},
		{"header cost", row(over(0.031, 0.0055, 0.0743, true, false), header), &base, VerdictFloorCost, "costs what its header costs"},
		{"MTU cost", row(over(0.0018, 0.001, 0.003, true, true), mtu), &base, VerdictFloorCost, "costs what its MTU costs"},
		{"above header", row(over(0.074, 0.072, 0.086, true, false), header), &base, VerdictAboveFloor, "costs more than its header: CPU per packet"},
		{"above bare path", row(over(0.05, 0.03, 0.07, true, false), &Floor{Kind: FloorNone}), &base, VerdictAboveFloor, "costs more than the bare path"},
		{"above unknown floor", row(over(0.05, 0.03, 0.07, true, false), nil), &base, VerdictAboveFloor, "costs more than the bare path"},
		{"not significant after Holm", row(over(0.05, 0.01, 0.07, false, false), &Floor{Kind: FloorNone}), &base, VerdictUnclear, "unclear: add --repeats"},
		{"no cost", row(over(0.001, -0.01, 0.012, false, true), &Floor{Kind: FloorNone}), &base, VerdictNoCost, "no measurable cost"},
		{"no cost below header", row(over(0.001, -0.01, 0.012, false, true), header), &base, VerdictNoCost, "no measurable cost"},
		{"below header", row(over(0.015, 0.01, 0.025, true, false), header), &base, VerdictBelowFloor, "costs less than its header: link not full"},
		{"faster", row(over(-0.35, -0.36, -0.33, true, false), nil), &base, VerdictFaster, "faster than the baseline"},
		{"wide interval", row(over(0.005, -0.02, 0.047, false, false), &Floor{Kind: FloorNone}), &base, VerdictUnclear, "unclear: add --repeats"},
		{"header or nothing", row(over(0.02, -0.01, 0.05, false, false), header), &base, VerdictUnclear, "unclear: add --repeats"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Judge(tt.s, tt.baseline)
			if got.Kind != tt.kind || got.Text != tt.text {
				t.Errorf("Judge = %+v, want %s %q", got, tt.kind, tt.text)
			}
			if len(got.Text) > maxVerdictText {
				t.Errorf("%q is longer than %d characters: it would not fit the table", got.Text, maxVerdictText)
			}
		})
	}
}

// maxVerdictText is the widest verdict the 120-column table has room for.
const maxVerdictText = 42

func TestSenderLimited(t *testing.T) {
	key := Key{Scenario: "pod-pod-cross", Protocol: UDP, Streams: 1}
	udp := func(sent float64) Sample {
		return Sample{Goodput: sent, SentBps: sent, OfferedBps: 500e6}
	}
	tests := []struct {
		name    string
		samples []Sample
		limited int
		warned  bool
	}{
		{"every sample at the rate", []Sample{udp(499.9e6), udp(500e6), udp(499e6)}, 0, false},
		{"one below 95%", []Sample{udp(499.9e6), udp(300e6), udp(499e6)}, 1, true},
		{"not paced", []Sample{{Goodput: 1e9}, {Goodput: 1e9}}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Config{}.Summarize(Group{Key: key, Samples: tt.samples}, nil)
			warned := false
			for _, w := range s.Warnings {
				warned = warned || w.Code == WarnSenderLimited
			}
			if s.SenderLimited != tt.limited || warned != tt.warned {
				t.Errorf("sender-limited %d (warned %v), want %d (%v); warnings %+v", s.SenderLimited, warned, tt.limited, tt.warned, s.Warnings)
			}
		})
	}
}
