package iperf3

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The results exchanged in the captured 3.12 TCP test (§2.3, §7); lengths
// 285 and 318 bytes match the captured length prefixes.
const (
	capturedClientResults = `{"cpu_util_total":46.072324394906779,"cpu_util_user":0.24035643977198309,"cpu_util_system":45.83191807830562,"sender_has_retransmits":1,"congestion_used":"bbr","streams":[{"id":1,"bytes":5714739200,"retransmits":0,"jitter":0,"errors":0,"packets":0,"start_time":0,"end_time":2.000267}]}`
	capturedServerResults = `{"cpu_util_total":47.22773801739325,"cpu_util_user":0.63210012817974759,"cpu_util_system":46.595537905011,"sender_has_retransmits":18446744073709551615,"congestion_used":"bbr","streams":[{"id":1,"bytes":5714739200,"retransmits":18446744073709551615,"jitter":0,"errors":0,"packets":0,"start_time":0,"end_time":2.0003}]}`
)

var (
	capturedClientResultsValue = Results{
		CPUUtilTotal: 46.072324394906779, CPUUtilUser: 0.24035643977198309, CPUUtilSystem: 45.83191807830562,
		SenderHasRetransmits: 1, CongestionUsed: "bbr",
		Streams: []StreamResults{{ID: 1, Bytes: 5714739200, Retransmits: 0, EndTime: 2.000267}},
	}
	capturedServerResultsValue = Results{
		CPUUtilTotal: 47.22773801739325, CPUUtilUser: 0.63210012817974759, CPUUtilSystem: 46.595537905011,
		SenderHasRetransmits: -1, CongestionUsed: "bbr",
		Streams: []StreamResults{{ID: 1, Bytes: 5714739200, Retransmits: -1, EndTime: 2.0003}},
	}
)

func TestCapturedResultsLengths(t *testing.T) {
	if len(capturedClientResults) != 0x11d || len(capturedServerResults) != 0x13e || len(capturedTCPParams) != 0x7b {
		t.Errorf("reconstructed captures have lengths %d, %d, %d; captured 285, 318, 123",
			len(capturedClientResults), len(capturedServerResults), len(capturedTCPParams))
	}
}

func TestResultsUnmarshalCaptured(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Results
		// our encoding: floats in Go's shortest form, -1 signed
		wantJSON string
	}{
		{"client", capturedClientResults, capturedClientResultsValue,
			`{"cpu_util_total":46.07232439490678,"cpu_util_user":0.2403564397719831,"cpu_util_system":45.83191807830562,"sender_has_retransmits":1,"congestion_used":"bbr","streams":[{"id":1,"bytes":5714739200,"retransmits":0,"jitter":0,"errors":0,"packets":0,"start_time":0,"end_time":2.000267}]}`},
		{"server", capturedServerResults, capturedServerResultsValue,
			`{"cpu_util_total":47.22773801739325,"cpu_util_user":0.6321001281797476,"cpu_util_system":46.595537905011,"sender_has_retransmits":-1,"congestion_used":"bbr","streams":[{"id":1,"bytes":5714739200,"retransmits":-1,"jitter":0,"errors":0,"packets":0,"start_time":0,"end_time":2.0003}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Results
			if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Unmarshal:\n got %+v\nwant %+v", got, tt.want)
			}
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.wantJSON {
				t.Errorf("Marshal:\n got %s\nwant %s", b, tt.wantJSON)
			}
			// Same keys in the same order as iperf3.
			if g, w := keyPaths(t, b), keyPaths(t, []byte(tt.in)); !reflect.DeepEqual(g, w) {
				t.Errorf("key paths:\n got %v\nwant %v", g, w)
			}
		})
	}
}

func TestResultsRoundTrip(t *testing.T) {
	oe, op := int64(3), int64(100)
	tests := []Results{
		capturedClientResultsValue,
		capturedServerResultsValue,
		{Streams: []StreamResults{}},
		{ // UDP receiver with 3.14+ omitted counters, bidir, server output
			CPUUtilTotal: 1.5, SenderHasRetransmits: 0,
			ServerOutputJSON: json.RawMessage(`{"start":{"connected":[]},"intervals":[],"end":{}}`),
			Streams: []StreamResults{
				{ID: 1, Bytes: 1 << 40, Retransmits: -1, Jitter: 1.2810643911361696e-05, Errors: 2, Packets: 1000,
					OmittedErrors: &oe, OmittedPackets: &op, EndTime: 10.000001},
				{ID: 3, Bytes: 0, Retransmits: 17, EndTime: 10},
			},
		},
		{ServerOutputText: "Accepted connection from ...\n[ ID] Interval\n", Streams: []StreamResults{{ID: 4}}},
		{Streams: []StreamResults{{ID: 1}}, Modes: []string{"tcp-discard", "tcp-rcvlowat"}},
	}
	for i, in := range tests {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		var out Results
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%d: %v\n%s", i, err, b)
		}
		if !reflect.DeepEqual(out, in) {
			t.Errorf("%d: round trip\n got %+v\nwant %+v\njson %s", i, out, in, b)
		}
	}
}

func TestResultsMarshalShape(t *testing.T) {
	oe, op := int64(0), int64(5)
	b, err := json.Marshal(Results{
		SenderHasRetransmits: -1,
		ServerOutputJSON:     json.RawMessage(`{ "a" : 1 }`),
		Streams:              []StreamResults{{ID: 1, OmittedErrors: &oe, OmittedPackets: &op}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"cpu_util_total":0,"cpu_util_user":0,"cpu_util_system":0,"sender_has_retransmits":-1,"server_output_json":{"a":1},` +
		`"streams":[{"id":1,"bytes":0,"retransmits":0,"jitter":0,"errors":0,"omitted_errors":0,"packets":0,"omitted_packets":5,"start_time":0,"end_time":0}]}`
	if string(b) != want {
		t.Errorf("Marshal =\n%s\nwant\n%s", b, want)
	}
	if b, _ := json.Marshal(Results{}); !strings.Contains(string(b), `"streams":[]`) {
		t.Errorf("nil Streams marshals as %s, want []", b)
	}
	if _, err := json.Marshal(Results{Streams: []StreamResults{{OmittedErrors: &oe}}}); !errors.Is(err, ErrOmittedPair) {
		t.Errorf("only omitted_errors: err = %v, want ErrOmittedPair", err)
	}
}

func TestResultsUnmarshalErrors(t *testing.T) {
	const streamOK = `{"id":1,"bytes":1,"retransmits":0,"jitter":0,"errors":0,"packets":0}`
	head := `"cpu_util_total":1,"cpu_util_user":1,"cpu_util_system":1,"sender_has_retransmits":0`
	tests := []struct {
		name    string
		in      string
		wantErr string // substring; "" means success
	}{
		{"minimal", `{` + head + `,"streams":[` + streamOK + `]}`, ""},
		{"no streams entries", `{` + head + `,"streams":[]}`, ""},
		{"without start/end time", `{` + head + `,"streams":[` + streamOK + `]}`, ""},
		{"both omitted keys", `{` + head + `,"streams":[{"id":1,"bytes":1,"retransmits":0,"jitter":0,"errors":0,"packets":0,"omitted_errors":0,"omitted_packets":0}]}`, ""},
		{"unknown keys", `{` + head + `,"x":{},"streams":[` + streamOK + `]}`, ""},
		{"exponent bytes (3.7)", `{` + head + `,"streams":[{"id":1,"bytes":1.23e+15,"retransmits":0,"jitter":0,"errors":0,"packets":0}]}`, ""},

		{"missing cpu_util_total", `{"cpu_util_user":1,"cpu_util_system":1,"sender_has_retransmits":0,"streams":[]}`, "cpu_util_total"},
		{"missing cpu_util_user", `{"cpu_util_total":1,"cpu_util_system":1,"sender_has_retransmits":0,"streams":[]}`, "cpu_util_user"},
		{"missing cpu_util_system", `{"cpu_util_total":1,"cpu_util_user":1,"sender_has_retransmits":0,"streams":[]}`, "cpu_util_system"},
		{"missing sender_has_retransmits", `{"cpu_util_total":1,"cpu_util_user":1,"cpu_util_system":1,"streams":[]}`, "sender_has_retransmits"},
		{"missing streams", `{` + head + `}`, "streams"},
		{"null streams", `{` + head + `,"streams":null}`, "streams"},
		{"null cpu", `{"cpu_util_total":null,"cpu_util_user":1,"cpu_util_system":1,"sender_has_retransmits":0,"streams":[]}`, "cpu_util_total"},
		{"stream missing id", `{` + head + `,"streams":[{"bytes":1,"retransmits":0,"jitter":0,"errors":0,"packets":0}]}`, "id"},
		{"stream missing bytes", `{` + head + `,"streams":[{"id":1,"retransmits":0,"jitter":0,"errors":0,"packets":0}]}`, "bytes"},
		{"stream missing retransmits", `{` + head + `,"streams":[{"id":1,"bytes":1,"jitter":0,"errors":0,"packets":0}]}`, "retransmits"},
		{"stream missing jitter", `{` + head + `,"streams":[{"id":1,"bytes":1,"retransmits":0,"errors":0,"packets":0}]}`, "jitter"},
		{"stream missing errors", `{` + head + `,"streams":[{"id":1,"bytes":1,"retransmits":0,"jitter":0,"packets":0}]}`, "errors"},
		{"stream missing packets", `{` + head + `,"streams":[{"id":1,"bytes":1,"retransmits":0,"jitter":0,"errors":0}]}`, "packets"},
		{"null stream", `{` + head + `,"streams":[null]}`, "missing"},
		{"only omitted_errors", `{` + head + `,"streams":[{"id":1,"bytes":1,"retransmits":0,"jitter":0,"errors":0,"packets":0,"omitted_errors":0}]}`, "omitted"},
		{"only omitted_packets", `{` + head + `,"streams":[{"id":1,"bytes":1,"retransmits":0,"jitter":0,"errors":0,"packets":0,"omitted_packets":0}]}`, "omitted"},
		{"negative bytes", `{` + head + `,"streams":[{"id":1,"bytes":-1,"retransmits":0,"jitter":0,"errors":0,"packets":0}]}`, "bytes"},
		{"string cpu", `{"cpu_util_total":"1","cpu_util_user":1,"cpu_util_system":1,"sender_has_retransmits":0,"streams":[]}`, "cpu_util_total"},
		{"string congestion", `{` + head + `,"congestion_used":1,"streams":[]}`, "congestion_used"},
		{"streams not array", `{` + head + `,"streams":{}}`, "streams"},
		{"array", `[]`, "not a JSON object"},
		{"null", `null`, "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Results
			err := r.UnmarshalJSON([]byte(tt.in))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("UnmarshalJSON(%s): %v", tt.in, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("UnmarshalJSON(%s) = %v, want error about %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

// TestResultsModes: cnibench's modes key is read when it is a list of
// short names, bounded, and ignored (no error) in any other shape: a
// stock iperf3 peer sends none, a hostile one cannot fail a test with it.
func TestResultsModes(t *testing.T) {
	many := strings.Repeat(`"m",`, MaxModes+4)
	long := `"` + strings.Repeat("x", MaxModeLen+1) + `"`
	for _, tc := range []struct {
		name, value string // "" value: key absent
		want        []string
	}{
		{"absent (stock iperf3)", "", nil},
		{"names", `["tcp-discard","udp-gso"]`, []string{"tcp-discard", "udp-gso"}},
		{"null", `null`, nil},
		{"a string", `"tcp-discard"`, nil},
		{"an object", `{"tcp-discard":true}`, nil},
		{"mixed list", `["tcp-discard",1]`, nil},
		{"empty and long names dropped", `["",` + long + `,"sendfile"]`, []string{"sendfile"}},
		{"bounded", `[` + many + `"m"]`, slices.Repeat([]string{"m"}, MaxModes)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := strings.TrimSuffix(capturedServerResults, "}")
			if tc.value != "" {
				msg += `,"` + ModesKey + `":` + tc.value
			}
			var r Results
			if err := json.Unmarshal([]byte(msg+"}"), &r); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if !slices.Equal(r.Modes, tc.want) {
				t.Errorf("modes %q, want %q", r.Modes, tc.want)
			}
		})
	}
}
