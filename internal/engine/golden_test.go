package engine

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixedResult is a plausible two-stream TCP result with fixed numbers, so
// the renderers' output can be compared byte for byte.
func fixedResult(udp bool) *Result {
	spec, _ := Spec{Duration: 2 * time.Second, Streams: 2}.Normalize()
	iv := func(start float64, b1, b2 uint64) Interval {
		s1 := IntervalStream{ID: 1, Start: start, End: start + 1, Seconds: 1, Bytes: b1, BitsPerSecond: float64(b1 * 8), Sender: true}
		s2 := IntervalStream{ID: 3, Start: start, End: start + 1, Seconds: 1, Bytes: b2, BitsPerSecond: float64(b2 * 8), Sender: true}
		if !udp {
			s1.HasTCPInfo, s1.Retransmits, s1.SndCwnd, s1.RTT, s1.RTTVar, s1.PMTU = true, 1, 1<<20, 120, 40, 65535
			s2.HasTCPInfo, s2.SndCwnd, s2.RTT, s2.RTTVar, s2.PMTU = true, 2<<20, 110, 30, 65535
		} else {
			s1.Packets, s2.Packets = 100, 100
		}
		sum := IntervalStream{Start: start, End: start + 1, Seconds: 1, Bytes: b1 + b2, BitsPerSecond: float64((b1 + b2) * 8), Sender: true, HasTCPInfo: !udp, Retransmits: s1.Retransmits, Packets: s1.Packets + s2.Packets}
		return Interval{Streams: []IntervalStream{s1, s2}, Sum: sum}
	}
	tot := func(b uint64, sender bool, retr int64) Totals {
		return Totals{End: 2, Seconds: 2, Bytes: b, BitsPerSecond: float64(b*8) / 2, Sender: sender, Retransmits: retr}
	}
	r := &Result{
		Spec: spec, Cookie: "abcdefghijklmnopqrstuvwxyz234567abcd",
		Start: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 27, 10, 0, 2, 0, time.UTC),
		Local: "198.18.0.1:40000", Remote: "198.18.0.2:5201", MSS: 1448,
		Connected: []Connection{{ID: 1, Local: "198.18.0.1:40002", Remote: "198.18.0.2:5201"}, {ID: 3, Local: "198.18.0.1:40004", Remote: "198.18.0.2:5201"}},
		Intervals: []Interval{iv(0, 1_200_000_000, 1_100_000_000), iv(1, 1_250_000_000, 1_150_000_000)},
		Streams: []Stream{
			{ID: 1, Sender: true, Sent: tot(2_450_000_000, true, 1), Received: tot(2_449_000_000, true, -1)},
			{ID: 3, Sender: true, Sent: tot(2_250_000_000, true, 0), Received: tot(2_249_500_000, true, -1)},
		},
		SumSent: tot(4_700_000_000, true, 1), SumReceived: tot(4_698_500_000, true, -1),
		CPU:              CPU{HostTotal: 91.5, HostUser: 1.5, HostSystem: 90, RemoteTotal: 60.25, RemoteUser: 2.25, RemoteSystem: 58},
		SenderCongestion: "cubic", ReceiverCongestion: "cubic",
	}
	if udp {
		r.Spec.Protocol, r.Spec.Rate, r.Spec.Length = UDP, 100e6, 1448
		r.SenderCongestion, r.ReceiverCongestion = "", ""
		for i := range r.Streams {
			r.Streams[i].Sent.Retransmits, r.Streams[i].Sent.Packets = -1, 200
			r.Streams[i].Received.Packets, r.Streams[i].Received.LostPackets, r.Streams[i].Received.JitterMs, r.Streams[i].Received.LostPercent = 200, 2, 0.012, 1
		}
		r.SumSent.Retransmits, r.SumSent.Packets = -1, 400
		r.SumReceived.Packets, r.SumReceived.LostPackets, r.SumReceived.JitterMs, r.SumReceived.LostPercent = 400, 4, 0.012, 1
	}
	return r
}

// TestRenderGolden compares the text and -J renderers with testdata/*.golden
// (go test ./internal/engine -run RenderGolden -update rewrites them).
func TestRenderGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		render func() ([]byte, error)
	}{
		{"text-tcp", func() ([]byte, error) { return []byte(FormatText(fixedResult(false), ClientRole)), nil }},
		{"text-udp", func() ([]byte, error) { return []byte(FormatText(fixedResult(true), ClientRole)), nil }},
		{"text-tcp-rtt", func() ([]byte, error) {
			r := fixedResult(false)
			r.ConnectRTT = fixedRTT()
			return []byte(FormatText(r, ClientRole)), nil
		}},
		{"text-tcp-server", func() ([]byte, error) { return []byte(FormatText(fixedResult(false), ServerRole)), nil }},
		{"json-tcp", func() ([]byte, error) { return reportWithoutHost(fixedResult(false)) }},
		{"json-udp", func() ([]byte, error) { return reportWithoutHost(fixedResult(true)) }},
		{"text-rr", func() ([]byte, error) { return []byte(FormatLatency(fixedLatency(RR, 0))), nil }},
		{"text-crr-open", func() ([]byte, error) { return []byte(FormatLatency(fixedLatency(CRR, 1000))), nil }},
		{"text-udp-rr", func() ([]byte, error) { return []byte(FormatLatency(fixedLatency(UDPRR, 0))), nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.render()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("%s differs from %s (run with -update if the change is intended):\n%s", tc.name, path, got)
			}
		})
	}
}

// reportWithoutHost renders -J with the machine- and build-specific fields blanked.
func reportWithoutHost(r *Result) ([]byte, error) {
	rep := ToReport(r, ClientRole, "198.18.0.2")
	rep.Start.Version, rep.Start.SystemInfo = "cnibench (golden)", "Linux (golden)"
	return MarshalReport(rep)
}

// fixedLatency is a latency result with fixed numbers from a known histogram.
func fixedLatency(mode LatencyMode, rate float64) *LatencyResult {
	spec, _ := LatencySpec{Mode: mode, Duration: 2 * time.Second, Rate: rate}.Normalize()
	r := &LatencyResult{Spec: spec, Remote: "198.18.0.2:5201", Seconds: 2, Errors: 3, Lost: 2, Duplicated: 1}
	h := newLatencyHistogram()
	for i := range 1000 {
		record(h, time.Duration(20000+i*30)) // 20 µs .. 50 µs
	}
	_ = r.summarize(h)
	return r
}
