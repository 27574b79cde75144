package runrecord_test

import (
	"reflect"
	"testing"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// TestGroupStats: what the statistics read of each sample: the sender's CPU
// is the client's unless the test ran in reverse, the busier side's for
// both with bidir; failures give their errors; the path its facts.
func TestGroupStats(t *testing.T) {
	res := func(spec runrecord.Spec, rtt *runrecord.RTT) *runrecord.Result {
		return &runrecord.Result{Spec: spec, ConnectRTT: rtt, CPU: runrecord.CPU{HostTotal: 95, RemoteTotal: 50},
			SumSent:     runrecord.Totals{BitsPerSecond: 9.5e9, Retransmits: 7},
			SumReceived: runrecord.Totals{BitsPerSecond: 9e9, Retransmits: -1, LostPercent: 0.5, JitterMs: 0.02}}
	}
	g := runrecord.Group{Key: stats.Key{Scenario: "pod-pod-cross", Protocol: stats.TCP, Streams: 1}, Samples: []runrecord.Sample{
		{Result: res(runrecord.Spec{}, &runrecord.RTT{Probes: 3, SamplesUs: []float64{40, 41, 42}, MedianUs: 41})},
		{Result: res(runrecord.Spec{Reverse: true}, &runrecord.RTT{Probes: 3, Failed: 3, SamplesUs: []float64{}})},
		{Result: res(runrecord.Spec{Bidir: true}, nil)},
		{Error: "connection refused"},
	}}
	path := &runrecord.Path{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 1450, UnderlayMTU: 1500, LinkRate: 1e9}
	got := g.Stats(path)
	base := stats.Sample{Goodput: 9e9, Retransmits: 7, LostPercent: 0.5, JitterMs: 0.02, SentBps: 9.5e9}
	want := []stats.Sample{base, base, base}
	want[0].SenderCPU, want[0].ReceiverCPU, want[0].RTTProbes, want[0].RTTSamples, want[0].RTTMedianUs = 95, 50, 3, 3, 41
	want[1].SenderCPU, want[1].ReceiverCPU, want[1].RTTProbes = 50, 95, 3
	want[2].SenderCPU, want[2].ReceiverCPU = 95, 95
	if !reflect.DeepEqual(got.Samples, want) {
		t.Errorf("samples\n got %+v\nwant %+v", got.Samples, want)
	}
	if !reflect.DeepEqual(got.Errors, []string{"connection refused"}) || got.Key != g.Key {
		t.Errorf("errors %v, key %v", got.Errors, got.Key)
	}
	wantPath := stats.PathFacts{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 1450, UnderlayMTU: 1500}
	if got.Path == nil || *got.Path != wantPath {
		t.Errorf("path %+v, want %+v", got.Path, wantPath)
	}
	if g.Stats(nil).Path != nil {
		t.Error("no recorded path gave path facts")
	}
}

// TestGroupStatsFloorFacts: the floor's facts of the tests come from the
// first successful sample: the family of the address it connected to and,
// for UDP, its datagram size; a group with none gets no path facts.
func TestGroupStatsFloorFacts(t *testing.T) {
	path := &runrecord.Path{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 1450, UnderlayMTU: 1500}
	udp := func(remote string) runrecord.Sample {
		return runrecord.Sample{Result: &runrecord.Result{Spec: runrecord.Spec{Protocol: stats.UDP, Length: 1400}, Remote: remote}}
	}
	for _, tc := range []struct {
		name     string
		proto    stats.Protocol
		samples  []runrecord.Sample
		version  int
		datagram int
		none     bool
	}{
		{"udp over ipv6", stats.UDP, []runrecord.Sample{{Error: "refused"}, udp("[fd00:198:18::2]:5201")}, 6, 1400, false},
		{"udp over ipv4", stats.UDP, []runrecord.Sample{udp("198.18.0.2:5201")}, 4, 1400, false},
		{"tcp: no datagram", stats.TCP, []runrecord.Sample{udp("198.18.0.2:5201")}, 4, 0, false},
		{"only failures", stats.UDP, []runrecord.Sample{{Error: "refused"}}, 0, 0, true},
	} {
		g := runrecord.Group{Key: stats.Key{Scenario: "pod-pod-cross", Protocol: tc.proto, Streams: 1}, Samples: tc.samples}
		got := g.Stats(path).Path
		if tc.none {
			if got != nil {
				t.Errorf("%s: facts %+v, want none", tc.name, got)
			}
			continue
		}
		if got == nil || got.IPVersion != tc.version || got.Datagram != tc.datagram || got.TCPTimestampsOff {
			t.Errorf("%s: facts %+v, want IPv%d, datagram %d, timestamps on", tc.name, got, tc.version, tc.datagram)
		}
	}
}
