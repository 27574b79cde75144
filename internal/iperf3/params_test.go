package iperf3

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

const capturedUDPParams = `{"udp":true,"omit":0,"time":2,"num":0,"blockcount":0,"parallel":1,"len":32768,"bandwidth":1000000,"pacing_timer":1000,"client_version":"3.12"}`

var (
	capturedTCPParamsValue = Params{TCP: true, Time: 2, Parallel: 1, Len: 131072, PacingTimer: 1000, ClientVersion: "3.12"}
	capturedUDPParamsValue = Params{UDP: true, Time: 2, Parallel: 1, Len: 32768, Bandwidth: 1000000, PacingTimer: 1000, ClientVersion: "3.12"}
	fullParams             = Params{
		TCP: true, Omit: 1, Time: 3, Num: 4, BlockCount: 5, MSS: 1400, NoDelay: true, Parallel: 2,
		Reverse: true, Bidirectional: true, Window: 1 << 20, Len: 1000, Bandwidth: 1e9, FQRate: 2e9,
		PacingTimer: 500, Burst: 10, TOS: 0x10, FlowLabel: 7, Title: "t<\"x\">", ExtraData: "e",
		Congestion: "cubic", CongestionUsed: "bbr", GetServerOutput: true, UDPCounters64: true,
		RepeatingPayload: true, ZeroCopy: true, Discard: true, DontFragment: true, ClientVersion: "cnibench",
	}
	fullParamsJSON = `{"tcp":true,"omit":1,"time":3,"num":4,"blockcount":5,"MSS":1400,"nodelay":true,"parallel":2,` +
		`"reverse":true,"bidirectional":true,"window":1048576,"len":1000,"bandwidth":1000000000,"fqrate":2000000000,` +
		`"pacing_timer":500,"burst":10,"TOS":16,"flowlabel":7,"title":"t\u003c\"x\"\u003e","extra_data":"e",` +
		`"congestion":"cubic","congestion_used":"bbr","get_server_output":1,"udp_counters_64bit":1,` +
		`"repeating_payload":1,"zerocopy":1,"cnibench_discard":1,"dont_fragment":1,"client_version":"cnibench"}`
)

func TestParamsMarshal(t *testing.T) {
	tests := []struct {
		name string
		in   Params
		want string
	}{
		{"captured 3.12 TCP", capturedTCPParamsValue, capturedTCPParams},
		{"captured 3.12 UDP", capturedUDPParamsValue, capturedUDPParams},
		{"every key", fullParams, fullParamsJSON},
		{"zero value is TCP with the always-keys", Params{},
			`{"tcp":true,"omit":0,"time":0,"num":0,"blockcount":0,"parallel":0,"len":0,"client_version":""}`},
		{"UDP always sends bandwidth", Params{UDP: true, Len: 1460},
			`{"udp":true,"omit":0,"time":0,"num":0,"blockcount":0,"parallel":0,"len":1460,"bandwidth":0,"client_version":""}`},
		{"TCP sends bandwidth only when set", Params{TCP: true, Bandwidth: 1},
			`{"tcp":true,"omit":0,"time":0,"num":0,"blockcount":0,"parallel":0,"len":0,"bandwidth":1,"client_version":""}`},
		{"SCTP", Params{SCTP: true},
			`{"sctp":true,"omit":0,"time":0,"num":0,"blockcount":0,"parallel":0,"len":0,"client_version":""}`},
		{"negative values are written", Params{TCP: true, Time: -1, Num: -2},
			`{"tcp":true,"omit":0,"time":-1,"num":-2,"blockcount":0,"parallel":0,"len":0,"client_version":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("json.Marshal(Params) =\n%s\nwant\n%s", got, tt.want)
			}
			// Everything we write decodes back to the same value, except
			// that an omitted pacing_timer comes back as the default.
			var back Params
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			want := tt.in
			if !want.UDP && !want.SCTP {
				want.TCP = true
			}
			if want.PacingTimer == 0 {
				want.PacingTimer = DefaultPacingTimer
			}
			if !reflect.DeepEqual(back, want) {
				t.Errorf("round trip:\n got %+v\nwant %+v", back, want)
			}
		})
	}
}

func TestParamsMarshalProtocolConflict(t *testing.T) {
	for _, p := range []Params{{TCP: true, UDP: true}, {UDP: true, SCTP: true}, {TCP: true, SCTP: true}} {
		if _, err := p.MarshalJSON(); !errors.Is(err, ErrProtocolConflict) {
			t.Errorf("%+v: err = %v, want ErrProtocolConflict", p, err)
		}
	}
}

func TestParamsUnmarshal(t *testing.T) {
	def := DefaultParams()
	with := func(f func(*Params)) Params {
		p := DefaultParams()
		f(&p)
		return p
	}
	tests := []struct {
		name    string
		in      string
		want    Params
		wantErr bool
	}{
		{"captured TCP", capturedTCPParams, capturedTCPParamsValue, false},
		{"captured UDP", capturedUDPParams, capturedUDPParamsValue, false},
		{"every key", fullParamsJSON, fullParams, false},
		{"empty object gets 3.12 server defaults", `{}`, def, false},
		{"defaults", `{"tcp":true}`, Params{TCP: true, Time: 10, Parallel: 1, Len: 131072, PacingTimer: 1000}, false},
		{"unknown keys ignored", `{"server_affinity":2,"authtoken":"x","mptcp":true,"gso":1,"x":[{"y":null}],"time":3}`,
			with(func(p *Params) { p.Time = 3 }), false},

		// Flags by presence/truthiness, and our one deliberate difference.
		{"flag true", `{"reverse":true}`, with(func(p *Params) { p.Reverse = true }), false},
		{"flag 1", `{"reverse":1}`, with(func(p *Params) { p.Reverse = true }), false},
		{"flag any value", `{"reverse":"no"}`, with(func(p *Params) { p.Reverse = true }), false},
		{"flag {}", `{"bidirectional":{}}`, with(func(p *Params) { p.Bidirectional = true }), false},
		{"flag false is false (3.12 would say true)", `{"reverse":false}`, def, false},
		{"flag 0", `{"reverse":0}`, def, false},
		{"flag null", `{"reverse":null}`, def, false},
		{"int-valued flags", `{"get_server_output":1,"udp_counters_64bit":1,"repeating_payload":1,"zerocopy":1,"dont_fragment":1,"nodelay":true}`,
			with(func(p *Params) {
				p.GetServerOutput, p.UDPCounters64, p.RepeatingPayload, p.ZeroCopy, p.DontFragment, p.NoDelay = true, true, true, true, true, true
			}), false},
		{"zerocopy 0 is off (3.12 uses the value)", `{"zerocopy":0,"dont_fragment":0}`, def, false},

		// Protocol: last matching key wins in iperf3 (tcp, udp, sctp order).
		{"udp beats tcp", `{"tcp":true,"udp":true}`, with(func(p *Params) { p.TCP, p.UDP = false, true }), false},
		{"udp beats tcp, any order", `{"udp":true,"tcp":true}`, with(func(p *Params) { p.TCP, p.UDP = false, true }), false},
		{"sctp", `{"sctp":true,"udp":true}`, with(func(p *Params) { p.TCP, p.SCTP = false, true }), false},
		{"udp false falls back to TCP", `{"udp":false}`, def, false},

		// cJSON lookups: case-insensitive, first duplicate wins.
		{"case-insensitive keys", `{"UDP":true,"Time":4,"mss":1400,"tos":8,"Title":"T"}`,
			with(func(p *Params) { p.TCP, p.UDP, p.Time, p.MSS, p.TOS, p.Title = false, true, 4, 1400, 8, "T" }), false},
		{"first duplicate wins", `{"time":5,"time":7,"TIME":9}`, with(func(p *Params) { p.Time = 5 }), false},

		// Numbers via Int rules.
		{"3.12 unsigned -1", `{"time":18446744073709551615}`, with(func(p *Params) { p.Time = -1 }), false},
		{"exponent", `{"num":1.5e9,"bandwidth":1e6,"blockcount":2E3}`,
			with(func(p *Params) { p.Num, p.Bandwidth, p.BlockCount = 1500000000, 1000000, 2000 }), false},
		{"fraction truncates", `{"parallel":2.7}`, with(func(p *Params) { p.Parallel = 2 }), false},
		{"bandwidth max", `{"bandwidth":18446744073709551615}`, with(func(p *Params) { p.Bandwidth = 1<<64 - 1 }), false},
		{"null int keeps default", `{"time":null,"len":null}`, def, false},
		{"null string", `{"title":null}`, def, false},
		{"escaped string", `{"title":"a\"b\u00e9"}`, with(func(p *Params) { p.Title = "a\"bé" }), false},
		{"whitespace", " \n{ \"time\" : 3 }\t", with(func(p *Params) { p.Time = 3 }), false},

		// Errors.
		{"string for int", `{"time":"10"}`, Params{}, true},
		{"bool for int", `{"len":true}`, Params{}, true},
		{"int for string", `{"title":5}`, Params{}, true},
		{"object for string", `{"congestion":{}}`, Params{}, true},
		{"negative bandwidth", `{"bandwidth":-1}`, Params{}, true},
		{"huge number", `{"omit":1e400}`, Params{}, true},
		{"out of range", `{"num":1e30}`, Params{}, true},
		{"array", `[]`, Params{}, true},
		{"null", `null`, Params{}, true},
		{"string", `"x"`, Params{}, true},
		{"truncated", `{"time":1`, Params{}, true},
		{"trailing", `{} {}`, Params{}, true},
		{"empty", ``, Params{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Params{Title: "stale", Reverse: true}
			err := got.UnmarshalJSON([]byte(tt.in))
			if tt.wantErr {
				if err == nil {
					t.Errorf("UnmarshalJSON(%s) = %+v, want error", tt.in, got)
				}
				if got.Title != "stale" {
					t.Errorf("failed UnmarshalJSON modified the value: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("UnmarshalJSON(%s): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("UnmarshalJSON(%s):\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestDefaultParams(t *testing.T) {
	want := Params{TCP: true, Omit: 0, Time: 10, Parallel: 1, Len: 131072, PacingTimer: 1000}
	if got := DefaultParams(); !reflect.DeepEqual(got, want) {
		t.Errorf("DefaultParams() = %+v, want %+v", got, want)
	}
}
