package engine

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/iperf3"
)

func TestLatHelloRoundTrip(t *testing.T) {
	for _, h := range []latHello{
		{mode: RR, ack: true, request: 1, response: 1, durationMs: 10000},
		{mode: CRR, request: 14, response: 1 << 20},
		{mode: UDPRR, ack: true, request: 16, response: MaxUDPLength, durationMs: 1<<32 - 1},
	} {
		b := h.append(nil)
		if len(b) != latHelloSize {
			t.Fatalf("%+v: %d bytes", h, len(b))
		}
		if !isLatHello(b) {
			t.Errorf("%+v: not recognised", h)
		}
		got, err := parseLatHello(b)
		if err != nil || got != h {
			t.Errorf("round trip %+v: got %+v, %v", h, got, err)
		}
		// Never a cookie an iperf3 client would send.
		if c, err := iperf3.ParseCookie(b); err == nil && iperf3.ValidCookie(c) {
			t.Errorf("%+v parses as a valid cookie %q", h, c)
		}
	}
}

func TestLatHelloRejects(t *testing.T) {
	good := latHello{mode: RR, ack: true, request: 1, response: 1}.append(nil)
	patch := func(i int, v byte) []byte { b := bytes.Clone(good); b[i] = v; return b }
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"short", good[:36]},
		{"a cookie", iperf3.AppendCookie(nil, "abcdefghijklmnopqrstuvwxyz2345672345")},
		{"version 2", patch(13, '2')},
		{"mode", patch(15, 'x')},
		{"flags", patch(16, 2)},
		{"request 0", latHello{mode: RR, response: 1}.append(nil)},
		{"udp request under the header", latHello{mode: UDPRR, request: 15, response: 16}.append(nil)},
		{"response too big", latHello{mode: RR, request: 1, response: MaxLatencySize + 1}.append(nil)},
		{"padding", patch(36, 1)},
	} {
		if _, err := parseLatHello(tc.b); err == nil {
			t.Errorf("%s: accepted %q", tc.name, tc.b)
		}
	}
}

func TestLatAckRoundTrip(t *testing.T) {
	for _, a := range []latAck{{ok: true}, {ok: true, token: 1<<64 - 1}, {code: latRefusedBusy, detail: 64}, {code: latRefusedTooLong, detail: 3600}} {
		b := a.append(nil)
		if len(b) != latAckSize || b[0] == byte(iperf3.ParamExchange) || int8(b[0]) == int8(iperf3.AccessDenied) {
			t.Fatalf("%+v: %q", a, b)
		}
		got, err := parseLatAck(b)
		if err != nil || got != a {
			t.Errorf("round trip %+v: got %+v, %v", a, got, err)
		}
		if !a.ok && a.refusal() == nil {
			t.Errorf("%+v: no refusal error", a)
		}
	}
	for _, b := range [][]byte{nil, []byte("CNIBLAT?0123456789abcdef")[:16], []byte("XNIBLAT+01234567")} {
		if _, err := parseLatAck(b); err == nil {
			t.Errorf("accepted %q", b)
		}
	}
}

func FuzzLatHello(f *testing.F) {
	f.Add(latHello{mode: RR, ack: true, request: 1, response: 1}.append(nil))
	f.Add(latHello{mode: UDPRR, request: 16, response: 100, durationMs: 5}.append(nil))
	f.Add([]byte("CNIBENCH-LAT/1 "))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseLatHello(b)
		if err != nil {
			return
		}
		if !bytes.Equal(h.append(nil), b) {
			t.Errorf("accepted %q as %+v, which encodes differently", b, h)
		}
		lo, hi := sizeLimits(h.mode)
		if h.request < lo || h.request > hi || h.response < lo || h.response > hi {
			t.Errorf("accepted sizes out of range: %+v", h)
		}
	})
}

func FuzzLatAck(f *testing.F) {
	f.Add(latAck{ok: true, token: 42}.append(nil))
	f.Add(latAck{code: 1, detail: 2}.append(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := parseLatAck(b)
		if err != nil {
			return
		}
		if !a.ok && a.refusal() == nil {
			t.Error("refused without a reason")
		}
		if a.ok && !bytes.Equal(a.append(nil), b) {
			t.Errorf("accepted %q as %+v, which encodes differently", b, a)
		}
	})
}

func FuzzUDPRR(f *testing.F) {
	b := make([]byte, 20)
	putUDPRR(b, 7, 9)
	f.Add(b)
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, seq, ok := parseUDPRR(b)
		if ok != (len(b) >= udpRRHeaderSize) {
			t.Fatalf("ok %v for %d bytes", ok, len(b))
		}
		if ok {
			c := bytes.Clone(b)
			putUDPRR(c, tok, seq)
			if !bytes.Equal(c, b) {
				t.Error("header does not round-trip")
			}
		}
	})
}

// TestUDPTracker follows sends, replies and timeouts through the counts.
func TestUDPTracker(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	type step struct {
		op  byte // 's' send at, 'r' reply seq, 'e' expire at
		arg int
	}
	for _, tc := range []struct {
		name                 string
		steps                []step
		lost, dup, reord, in int64
		answered             int
	}{
		{"in order", []step{{'s', 0}, {'r', 0}, {'s', 1}, {'r', 1}}, 0, 0, 0, 0, 2},
		{"duplicate", []step{{'s', 0}, {'r', 0}, {'r', 0}}, 0, 1, 0, 0, 1},
		{"reordered", []step{{'s', 0}, {'s', 1}, {'r', 1}, {'r', 0}}, 0, 0, 1, 0, 2},
		{"lost", []step{{'s', 0}, {'s', 500}, {'e', 1200}}, 1, 0, 0, 1, 0},
		{"late reply stays lost", []step{{'s', 0}, {'e', 1000}, {'r', 0}}, 1, 0, 0, 0, 0},
		{"never sent", []step{{'s', 0}, {'r', 5}}, 0, 0, 0, 1, 0},
		{"expire keeps later ones", []step{{'s', 0}, {'s', 10}, {'s', 2000}, {'e', 1500}}, 2, 0, 0, 1, 0},
	} {
		tr := newUDPTracker(1)
		answered := 0
		for _, s := range tc.steps {
			switch s.op {
			case 's':
				tr.sent(ms(s.arg))
			case 'r':
				if _, ok := tr.reply(uint64(s.arg)); ok {
					answered++
				}
			case 'e':
				tr.expire(ms(s.arg), time.Second)
			}
		}
		if tr.lost != tc.lost || tr.dup != tc.dup || tr.reordered != tc.reord || tr.outstanding() != tc.in || answered != tc.answered {
			t.Errorf("%s: lost %d dup %d reordered %d in flight %d answered %d, want %d %d %d %d %d",
				tc.name, tr.lost, tr.dup, tr.reordered, tr.outstanding(), answered, tc.lost, tc.dup, tc.reord, tc.in, tc.answered)
		}
	}
}

// A test in which no transaction completed has no latency: its JSON must
// not carry figures of 0 µs, while a measured result carries them all.
func TestLatencyResultJSONOmitsFiguresWithoutTransactions(t *testing.T) {
	figures := []string{"min_us", "mean_us", "p50_us", "p90_us", "p99_us", "p99_9_us", "max_us"}
	for _, tc := range []struct {
		name      string
		latencies []time.Duration
	}{
		{"none completed", nil},
		{"measured", []time.Duration{40 * time.Microsecond, 50 * time.Microsecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newLatencyHistogram()
			for _, d := range tc.latencies {
				record(h, d)
			}
			r := &LatencyResult{Seconds: 1}
			if err := r.summarize(h); err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			for _, k := range figures {
				if _, ok := m[k]; ok != (len(tc.latencies) > 0) {
					t.Errorf("%s in JSON = %v, want %v: %s", k, ok, len(tc.latencies) > 0, b)
				}
			}
		})
	}
}
