package iperf3

import (
	"encoding/json"
	"math"
	"testing"
)

func TestIntUnmarshal(t *testing.T) {
	tests := []struct {
		in      string
		want    Int
		wantErr bool
	}{
		{"0", 0, false},
		{"-0", 0, false},
		{"42", 42, false},
		{"-1", -1, false},
		{"9223372036854775807", math.MaxInt64, false},
		{"-9223372036854775808", math.MinInt64, false},
		{"18446744073709551615", -1, false}, // 3.12's -1
		{"18446744073709551614", -2, false},
		{"9223372036854775808", math.MinInt64, false},
		{"1.23e+15", 1230000000000000, false}, // 3.7 exponent form
		{"5714739200.0", 5714739200, false},
		{"2.9", 2, false},
		{"-2.9", -2, false},
		{"1e2", 100, false},
		{"1E2", 100, false},
		{"1.8446744073709552e+19", -1, false}, // %.17g of 18446744073709551615
		{"1e19", int64FromUint(1e19), false},
		{" 7 ", 7, false},
		{"18446744073709551616", 0, true},
		{"-9223372036854775809", 0, true},
		{"1e20", 0, true},
		{"-1e19", 0, true},
		{"1e400", 0, true},
		{`"5"`, 0, true},
		{"true", 0, true},
		{"[]", 0, true},
		{"{}", 0, true},
		{"", 0, true},
		{"01", 0, true},
		{"1.", 0, true},
		{"+1", 0, true},
		{"0x10", 0, true},
		{"NaN", 0, true},
	}
	for _, tt := range tests {
		got := Int(12345)
		err := got.UnmarshalJSON([]byte(tt.in))
		if tt.wantErr {
			if err == nil {
				t.Errorf("Int.UnmarshalJSON(%q) = %d, want error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Int.UnmarshalJSON(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}

	// null leaves the value alone; through encoding/json too.
	v := struct{ A, B Int }{A: 7, B: 8}
	if err := json.Unmarshal([]byte(`{"A":null,"B":18446744073709551615}`), &v); err != nil || v.A != 7 || v.B != -1 {
		t.Errorf("json.Unmarshal = %+v, %v", v, err)
	}
}

func int64FromUint(f float64) Int { return Int(int64(uint64(f))) }

func TestIntMarshal(t *testing.T) {
	for _, tt := range []struct {
		in   Int
		want string
	}{{0, "0"}, {-1, "-1"}, {5714739200, "5714739200"}, {math.MinInt64, "-9223372036854775808"}} {
		b, err := json.Marshal(tt.in)
		if err != nil || string(b) != tt.want {
			t.Errorf("json.Marshal(Int(%d)) = %s, %v; want %s", tt.in, b, err, tt.want)
		}
	}
}

func TestUint64Value(t *testing.T) {
	tests := []struct {
		in      string
		want    uint64
		wantErr bool
	}{
		{"0", 0, false},
		{"-0", 0, false},
		{"5714739200", 5714739200, false},
		{"18446744073709551615", math.MaxUint64, false},
		{"1.8446744073709552e+19", math.MaxUint64, false},
		{"1.23e+15", 1230000000000000, false},
		{"-0.5", 0, false},
		{"-1", 0, true},
		{"-1.5", 0, true},
		{"18446744073709551616", 0, true},
		{"1e20", 0, true},
		{`"1"`, 0, true},
	}
	for _, tt := range tests {
		var got uint64Value
		err := got.UnmarshalJSON([]byte(tt.in))
		if (err != nil) != tt.wantErr || (!tt.wantErr && uint64(got) != tt.want) {
			t.Errorf("uint64Value.UnmarshalJSON(%q) = %d, %v; want %d, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFlag(t *testing.T) {
	tests := []struct {
		in      string
		want    Flag
		wantErr bool
	}{
		{"true", true, false},
		{"1", true, false},
		{"2", true, false},
		{"-1", true, false},
		{"0.5", true, false},
		{"1e400", true, false},
		{`"yes"`, true, false},
		{`""`, true, false}, // presence
		{`"false"`, true, false},
		{"{}", true, false},
		{"[]", true, false},
		{"false", false, false},
		{"0", false, false},
		{"-0", false, false},
		{"0.0", false, false},
		{"0e5", false, false},
		{"null", false, false},
		{" false ", false, false},
		{"", false, true},
		{"tru", false, true},
		{"{", false, true},
	}
	for _, tt := range tests {
		got := Flag(!tt.want)
		err := got.UnmarshalJSON([]byte(tt.in))
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("Flag.UnmarshalJSON(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	for _, tt := range []struct {
		in   Flag
		want string
	}{{true, "true"}, {false, "false"}} {
		if b, _ := json.Marshal(tt.in); string(b) != tt.want {
			t.Errorf("json.Marshal(Flag(%v)) = %s", tt.in, b)
		}
	}
	// With omitempty a false flag is not sent at all.
	b, _ := json.Marshal(struct {
		R Flag `json:"reverse,omitempty"`
	}{})
	if string(b) != "{}" {
		t.Errorf("false Flag with omitempty = %s, want {}", b)
	}
}
