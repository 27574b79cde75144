package agent

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/engine"
)

// sampleResult is a Result with every kind of field filled, so a field
// the wire loses shows in a round trip.
func sampleResult() *engine.Result {
	iv := engine.Interval{
		Streams: []engine.IntervalStream{{ID: 5, Start: 0, End: 1, Seconds: 1, Bytes: 125e6, BitsPerSecond: 1e9, Sender: true}},
		Sum:     engine.IntervalStream{Start: 0, End: 1, Seconds: 1, Bytes: 125e6, BitsPerSecond: 1e9, Sender: true},
	}
	return &engine.Result{
		Spec:               engine.Spec{Protocol: engine.UDP, Duration: 2 * time.Second, Streams: 2, Rate: 5e8, Length: 1448, RTTProbes: 3},
		Cookie:             "abcdefghijklmnopqrstuvwxyz234567abcd",
		Start:              time.Date(2026, 12, 4, 14, 0, 0, 123e6, time.UTC),
		End:                time.Date(2026, 12, 4, 14, 0, 2, 456e6, time.UTC),
		Local:              "198.19.0.3:40000",
		Remote:             "198.19.1.3:5201",
		Intervals:          []engine.Interval{iv},
		SumSent:            engine.Totals{Seconds: 2, Bytes: 250e6, BitsPerSecond: 1e9},
		SumReceived:        engine.Totals{Seconds: 2, Bytes: 249e6, BitsPerSecond: 9.96e8},
		SumReceivedReverse: &engine.Totals{Seconds: 2, Bytes: 1},
		SenderCongestion:   "cubic",
		MSS:                1448,
		ConnectRTT:         &engine.RTT{Probes: 3, SamplesUs: []float64{50, 60, 70}, MedianUs: 60},
	}
}

// TestLinesRoundTrip: what the pod's LineWriter writes, ReadLines reads
// back unchanged: every interval in order, then the result or the error.
func TestLinesRoundTrip(t *testing.T) {
	res := sampleResult()
	for _, tc := range []struct {
		name    string
		lines   []Line
		want    *engine.Result
		wantErr string
	}{
		{name: "intervals then result", lines: []Line{{Interval: &res.Intervals[0]}, {Interval: &res.Intervals[0]}, {Result: res}}, want: res},
		{name: "result only", lines: []Line{{Result: res}}, want: res},
		{name: "intervals then error", lines: []Line{{Interval: &res.Intervals[0]}, {Error: "connect: connection refused"}}, wantErr: "connect: connection refused"},
		{name: "nothing", wantErr: ErrNoResult.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			lw := NewLineWriter(&buf)
			var wantIvs []engine.Interval
			for _, l := range tc.lines {
				if err := lw.Write(l); err != nil {
					t.Fatal(err)
				}
				if l.Interval != nil {
					wantIvs = append(wantIvs, *l.Interval)
				}
			}
			var ivs []engine.Interval
			got, err := ReadLines(&buf, func(iv engine.Interval) { ivs = append(ivs, iv) })
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
			} else if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("read back %+v, %v\nwant %+v", got, err, tc.want)
			}
			if !reflect.DeepEqual(ivs, wantIvs) {
				t.Errorf("intervals %+v, want %+v", ivs, wantIvs)
			}
		})
	}
}

// TestReadLinesForeign: output that is not Lines (an older image, a
// stock iperf3) is an error that says what is wrong, quoting it short.
func TestReadLinesForeign(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"iperf3 text", "Connecting to host 198.18.0.2, port 5201\n", "is the image a cnibench of this version?"},
		{"long line is cut", strings.Repeat("x", 1000) + "\n", strings.Repeat("x", 200) + `..."`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadLines(strings.NewReader(tc.in), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrNoResult) {
				t.Errorf("error %v, want ~%q", err, tc.want)
			}
		})
	}
}

// TestArgsRoundTrip: the Spec the backend puts on the client's command
// line is the Spec the pod's client runs, normalized.
func TestArgsRoundTrip(t *testing.T) {
	spec := engine.Spec{Protocol: engine.UDP, Duration: 3 * time.Second, Streams: 4, Rate: 2e8, Omit: time.Second, RTTProbes: 10}
	args, err := ClientArgs("/cnibench", netipMust("198.19.1.3:5201"), spec)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/cnibench", "client", "198.19.1.3", "-p", "5201", "--spec-json", args[6], "--result-json"}
	if !reflect.DeepEqual(args, want) {
		t.Fatalf("args %q", args)
	}
	got, err := DecodeSpec(args[6])
	norm, _ := spec.Normalize()
	if err != nil || !reflect.DeepEqual(got, norm) {
		t.Errorf("decoded %+v, %v; want %+v", got, err, norm)
	}
	if _, err := DecodeSpec(`{"protocol":`); err == nil || !strings.Contains(err.Error(), "--spec-json") {
		t.Errorf("bad JSON: %v", err)
	}
	if _, err := DecodeSpec(`{"protocol":"sctp"}`); err == nil || !strings.Contains(err.Error(), "unknown protocol") {
		t.Errorf("bad spec: %v", err)
	}
	if got := ProbeArgs("/cnibench", 30*time.Second, nil); !reflect.DeepEqual(got, []string{"/cnibench", "probe", "--timeout", "30s"}) {
		t.Errorf("probe args %q", got)
	}
}
