package iperf3

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

// countingWriter records each Write call.
type countingWriter struct {
	calls [][]byte
	n     int   // bytes to accept per call; 0 = all
	err   error // returned by every call
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.calls = append(w.calls, append([]byte(nil), p...))
	if w.err != nil {
		return 0, w.err
	}
	if w.n > 0 && w.n < len(p) {
		return w.n, nil
	}
	return len(p), nil
}

const capturedTCPParams = `{"tcp":true,"omit":0,"time":2,"num":0,"blockcount":0,"parallel":1,"len":131072,"pacing_timer":1000,"client_version":"3.12"}`

func TestWriteMessage(t *testing.T) {
	var w countingWriter
	p := Params{TCP: true, Time: 2, Parallel: 1, Len: 131072, PacingTimer: 1000, ClientVersion: "3.12"}
	if err := WriteMessage(&w, p); err != nil {
		t.Fatal(err)
	}
	if len(w.calls) != 1 {
		t.Fatalf("WriteMessage made %d Write calls, want 1", len(w.calls))
	}
	// Captured: 00 00 00 7b + 123 bytes of params.
	want := append([]byte{0, 0, 0, 0x7b}, capturedTCPParams...)
	if !bytes.Equal(w.calls[0], want) {
		t.Errorf("WriteMessage wrote\n%q\nwant\n%q", w.calls[0], want)
	}

	// Raw JSON is compacted.
	w = countingWriter{}
	if err := WriteMessage(&w, json.RawMessage("{ \"a\" : [ 1 , 2 ] }")); err != nil {
		t.Fatal(err)
	}
	if got := string(w.calls[0]); got != "\x00\x00\x00\x0b{\"a\":[1,2]}" {
		t.Errorf("WriteMessage(raw) wrote %q", got)
	}
}

func TestWriteMessageErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name string
		w    *countingWriter
		v    any
		want error
	}{
		{"writer error", &countingWriter{err: boom}, map[string]int{"a": 1}, boom},
		{"short write", &countingWriter{n: 2}, map[string]int{"a": 1}, io.ErrShortWrite},
		{"unencodable", &countingWriter{}, func() {}, nil},
		{"invalid raw JSON", &countingWriter{}, json.RawMessage("{"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteMessage(tt.w, tt.v)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("WriteMessage() = %v, want error %v", err, tt.want)
			}
		})
	}
}

func TestMessageRoundTrip(t *testing.T) {
	type msg struct {
		A string         `json:"a"`
		B []int          `json:"b"`
		C map[string]Int `json:"c"`
	}
	tests := []msg{
		{A: "x"},
		{A: strings.Repeat("é", 1000), B: []int{1, 2, 3}, C: map[string]Int{"m": -1}},
	}
	for _, in := range tests {
		var buf bytes.Buffer
		if err := WriteMessage(&buf, in); err != nil {
			t.Fatal(err)
		}
		buf.WriteString("trailing bytes stay unread")
		var out msg
		if err := ReadMessage(&buf, 0, &out); err != nil {
			t.Fatal(err)
		}
		if in.A != out.A || len(in.B) != len(out.B) || len(in.C) != len(out.C) {
			t.Errorf("round trip: got %+v, want %+v", out, in)
		}
		if rest := buf.String(); rest != "trailing bytes stay unread" {
			t.Errorf("ReadMessage consumed too much; left %q", rest)
		}
	}
}

func TestReadMessageRaw(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		limit   int
		want    string
		wantErr error
	}{
		{"ok", "\x00\x00\x00\x02{}", 0, "{}", nil},
		{"limit exactly", "\x00\x00\x00\x02{}", 2, "{}", nil},
		{"over limit", "\x00\x00\x00\x03{} ", 2, "", ErrMessageTooLarge},
		{"zero length", "\x00\x00\x00\x00{}", 0, "", ErrEmptyMessage},
		{"0xFFFFFFFF", "\xff\xff\xff\xff{}", 0, "", ErrMessageTooLarge},
		{"default limit + 1", "\x00\x10\x00\x01", 0, "", ErrMessageTooLarge},
		{"nothing", "", 0, "", io.EOF},
		{"truncated length", "\x00\x00", 0, "", io.ErrUnexpectedEOF},
		{"truncated body", "\x00\x00\x00\x0a{\"a\":", 0, "", io.ErrUnexpectedEOF},
		{"length only", "\x00\x00\x00\x0a", 0, "", io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadMessageRaw(strings.NewReader(tt.in), tt.limit)
			if !errors.Is(err, tt.wantErr) || string(got) != tt.want {
				t.Errorf("ReadMessageRaw() = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
			if tt.wantErr == io.ErrUnexpectedEOF && errors.Is(err, io.EOF) {
				t.Errorf("truncation reported as a clean EOF: %v", err)
			}
		})
	}
}

// failingReader fails the test if anything past the length is read.
type failingReader struct {
	t   *testing.T
	hdr []byte
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.hdr) == 0 {
		r.t.Error("read past the length prefix of an oversized message")
		return 0, io.EOF
	}
	n := copy(p, r.hdr)
	r.hdr = r.hdr[n:]
	return n, nil
}

func TestReadMessageHugeLengthDoesNotAllocate(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := ReadMessageRaw(&failingReader{t: t, hdr: []byte{0xff, 0xff, 0xff, 0xff}}, 0)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("err = %v, want ErrMessageTooLarge", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 64<<10 {
		t.Errorf("rejecting a 4 GiB length allocated %d bytes", d)
	}
}

func TestReadMessageDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"invalid JSON", "{"},
		{"trailing data", "{} {}"},
		{"wrong type", `{"time":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			buf.Write([]byte{0, 0, 0, byte(len(tt.body))})
			buf.WriteString(tt.body)
			var p Params
			if err := ReadMessage(&buf, 0, &p); err == nil {
				t.Errorf("ReadMessage(%q) succeeded", tt.body)
			}
		})
	}
}
