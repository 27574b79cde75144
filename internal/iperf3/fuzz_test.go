package iperf3

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

// Seed corpora live in testdata/fuzz/FuzzXxx/. Every decoder of bytes from
// the network is fuzzed: it must not panic, and what it accepts must
// survive a round trip through the matching encoder.

func FuzzParseCookie(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCookie(b)
		if err != nil {
			return
		}
		if len(b) != CookieSize || len(c) >= CookieSize || !bytes.HasPrefix(b, []byte(c)) || b[len(c)] != 0 {
			t.Fatalf("ParseCookie(%q) = %q", b, c)
		}
		if len(c) == 36 && !bytes.Equal(AppendCookie(nil, c), b) {
			t.Fatalf("AppendCookie(ParseCookie(%q)) differs", b)
		}
	})
}

func FuzzParseServerError(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		ie, en, err := ParseServerError(b)
		if err != nil {
			if len(b) == 4 || len(b) == 8 {
				t.Fatalf("ParseServerError(% x): %v", b, err)
			}
			return
		}
		want := b
		if len(b) == 4 {
			want = append(append([]byte(nil), b...), 0, 0, 0, 0)
		}
		if got := AppendServerError(nil, ie, en); !bytes.Equal(got[1:], want) || got[0] != 0xFE {
			t.Fatalf("AppendServerError(ParseServerError(% x)) = % x", b, got)
		}
		_ = ErrnoText(ie)
	})
}

func FuzzReadMessage(f *testing.F) {
	const limit = 4096
	f.Fuzz(func(t *testing.T, b []byte) {
		body, err := ReadMessageRaw(bytes.NewReader(b), limit)
		if err != nil {
			if len(b) >= 4 {
				n := int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
				if n > 0 && n <= limit && len(b) >= 4+n {
					t.Fatalf("ReadMessageRaw rejected a complete %d-byte message: %v", n, err)
				}
			}
			return
		}
		if len(body) == 0 || len(body) > limit || !bytes.Equal(body, b[4:4+len(body)]) {
			t.Fatalf("ReadMessageRaw returned a wrong body: %q", body)
		}
		// Decode into the three message types and a generic value.
		var p Params
		var r Results
		var v any
		for _, dst := range []any{&p, &r, &v} {
			_ = ReadMessage(bytes.NewReader(b), limit, dst)
		}
		// What decodes generically re-encodes to a readable message.
		if err := ReadMessage(bytes.NewReader(b), limit, &v); err == nil {
			var buf bytes.Buffer
			if err := WriteMessage(&buf, v); err != nil {
				t.Fatalf("WriteMessage(%v): %v", v, err)
			}
			if _, err := ReadMessageRaw(&buf, 0); err != nil {
				t.Fatalf("re-read: %v", err)
			}
		}
	})
}

func FuzzParamsUnmarshal(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Params
		if err := p.UnmarshalJSON(b); err != nil {
			return
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("Marshal(%+v): %v", p, err)
		}
		var q Params
		if err := json.Unmarshal(out, &q); err != nil {
			t.Fatalf("Unmarshal(%s): %v", out, err)
		}
		if p.PacingTimer == 0 { // omitted when zero, so it comes back as the default
			p.PacingTimer = DefaultPacingTimer
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip of %s:\n got %+v\nwant %+v", out, q, p)
		}
	})
}

func FuzzResultsUnmarshal(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Results
		if err := r.UnmarshalJSON(b); err != nil {
			return
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("Marshal(%+v): %v", r, err)
		}
		var r2 Results
		if err := json.Unmarshal(out, &r2); err != nil {
			t.Fatalf("Unmarshal(%s): %v", out, err)
		}
		out2, err := json.Marshal(r2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
		if len(r.Streams) != len(r2.Streams) {
			t.Fatalf("streams: %d != %d", len(r.Streams), len(r2.Streams))
		}
		if len(r.Modes) > MaxModes || !slices.Equal(r.Modes, r2.Modes) {
			t.Fatalf("modes: %q then %q", r.Modes, r2.Modes)
		}
		for i := range r.Streams {
			a, b := r.Streams[i], r2.Streams[i]
			if a.ID != b.ID || a.Bytes != b.Bytes || a.Retransmits != b.Retransmits || a.Errors != b.Errors || a.Packets != b.Packets {
				t.Fatalf("stream %d: %+v != %+v", i, a, b)
			}
		}
	})
}

func FuzzParseUDPHeader(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte, counters64 bool) {
		h, err := ParseUDPHeader(b, counters64)
		n := UDPHeaderSize(counters64)
		if err != nil {
			if len(b) >= n {
				t.Fatalf("ParseUDPHeader(% x, %v): %v", b, counters64, err)
			}
			return
		}
		buf := make([]byte, n)
		h.Put(buf, counters64)
		if !bytes.Equal(buf, b[:n]) {
			t.Fatalf("Put(ParseUDPHeader(% x)) = % x", b[:n], buf)
		}
		_ = IsUDPReply(b)
	})
}

func FuzzParseReport(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReport(b)
		if err != nil {
			return
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		r2, err := ParseReport(out)
		if err != nil {
			t.Fatalf("ParseReport(our output %s): %v", out, err)
		}
		out2, err := json.Marshal(r2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}
