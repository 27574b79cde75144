package iperf3

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
)

// Int is an integer as iperf3 writes it in JSON (§3). Decoding accepts any
// JSON number:
//
//   - plain integers in int64 range;
//   - integers in [2^63, 2^64), which iperf3 3.12 and 3.13 write for negative
//     values (it prints through an unsigned 64-bit conversion), mapped to
//     their two's-complement value: 18446744073709551615 decodes as -1;
//   - fractions and exponents (3.7 writes 1.23e+15): truncated toward zero
//     like a C cast, with the same two's-complement mapping above 2^63;
//     exactly 2^64 (18446744073709551615 rounded to a double, as %.17g
//     prints it) decodes as -1.
//
// JSON null leaves the value unchanged (the encoding/json convention).
// Strings, booleans, objects and arrays are errors. Encoding writes a plain
// decimal integer, e.g. -1.
type Int int64

// MarshalJSON writes i as a plain decimal integer.
func (i Int) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, int64(i), 10), nil
}

// UnmarshalJSON decodes any JSON number into i; see [Int].
func (i *Int) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	v, err := parseInt64(b)
	if err != nil {
		return typeError(b, reflect.TypeFor[Int]())
	}
	*i = Int(v)
	return nil
}

// Flag is a boolean parameter that iperf3 tests by presence (§4): servers up
// to 3.17 treat a key as set whatever its value, some keys are sent as the
// number 1 and others as true. Decoding yields false for the literal false,
// a numeric zero and null, and true for anything else (true, 1, "x", {} …).
// Note that a 3.12 server would also take "reverse":false as set; this type
// deliberately does not.
//
// Encoding writes true or false; fields of this type should be tagged
// omitempty so that a false flag is never sent to a presence-testing peer.
type Flag bool

// MarshalJSON writes true or false.
func (f Flag) MarshalJSON() ([]byte, error) {
	if f {
		return []byte("true"), nil
	}
	return []byte("false"), nil
}

// UnmarshalJSON decodes any JSON value into f; see [Flag].
func (f *Flag) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if !json.Valid(b) {
		return errors.New("iperf3: Flag: invalid JSON value")
	}
	*f = Flag(truthy(b))
	return nil
}

// truthy reports whether the valid JSON value b counts as a set flag.
func truthy(b []byte) bool {
	switch string(b) {
	case "false", "null":
		return false
	}
	if isNumber(b) {
		f, err := strconv.ParseFloat(string(b), 64)
		// A range error means a huge magnitude (±Inf): not zero.
		return err != nil || f != 0
	}
	return true
}

// isNumber reports whether b is exactly one JSON number token.
func isNumber(b []byte) bool {
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return false
	}
	return json.Valid(b)
}

// isIntegerLiteral reports whether the JSON number b has no fraction or exponent.
func isIntegerLiteral(b []byte) bool {
	return !bytes.ContainsAny(b, ".eE")
}

const (
	two63 = 1 << 63
	two64 = float64(1<<63) * 2
)

// parseInt64 converts one JSON number token with the rules of [Int].
func parseInt64(b []byte) (int64, error) {
	if !isNumber(b) {
		return 0, fmt.Errorf("want a JSON number, got %.32q", b)
	}
	s := string(b)
	if isIntegerLiteral(b) {
		v, err := strconv.ParseInt(s, 10, 64)
		if err == nil {
			return v, nil
		}
		if s[0] != '-' {
			if u, uerr := strconv.ParseUint(s, 10, 64); uerr == nil {
				return int64(u), nil // two's complement: 2^64-1 -> -1
			}
		}
		return 0, fmt.Errorf("integer %.32s out of range", s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("number %.32s out of range", s)
	}
	f = math.Trunc(f)
	switch {
	case f >= -two63 && f < two63:
		return int64(f), nil
	case f >= two63 && f < two64:
		return int64(uint64(f)), nil
	case f == two64:
		return -1, nil
	}
	return 0, fmt.Errorf("number %.32s out of range", s)
}

// parseUint64 converts one JSON number token to an unsigned value: like
// parseInt64 but without the two's-complement mapping, and negative values
// are errors. Exactly 2^64 as a double maps to the largest uint64.
func parseUint64(b []byte) (uint64, error) {
	if !isNumber(b) {
		return 0, fmt.Errorf("want a JSON number, got %.32q", b)
	}
	s := string(b)
	if isIntegerLiteral(b) {
		if s == "-0" {
			return 0, nil
		}
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%.32s is not an unsigned 64-bit integer", s)
		}
		return v, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("number %.32s out of range", s)
	}
	f = math.Trunc(f)
	switch {
	case f >= 0 && f < two64: // -0 included
		return uint64(f), nil
	case f == two64:
		return math.MaxUint64, nil
	}
	return 0, fmt.Errorf("%.32s is not an unsigned 64-bit integer", s)
}

// typeError describes the JSON value b that cannot become a t, the way
// encoding/json does, so that it adds the field path to the message.
func typeError(b []byte, t reflect.Type) error {
	what := "number " + string(b)
	if len(what) > 40 {
		what = what[:40] + "…"
	}
	switch {
	case len(b) == 0:
		what = "empty input"
	case b[0] == '"':
		what = "string"
	case b[0] == 't' || b[0] == 'f':
		what = "bool"
	case b[0] == '{':
		what = "object"
	case b[0] == '[':
		what = "array"
	case !isNumber(b):
		what = "invalid JSON"
	}
	return &json.UnmarshalTypeError{Value: what, Type: t}
}

// uint64Value is a uint64 whose JSON decoding follows parseUint64.
type uint64Value uint64

func (u uint64Value) MarshalJSON() ([]byte, error) {
	return strconv.AppendUint(nil, uint64(u), 10), nil
}

func (u *uint64Value) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	v, err := parseUint64(b)
	if err != nil {
		return typeError(b, reflect.TypeFor[uint64]())
	}
	*u = uint64Value(v)
	return nil
}
