package iperf3

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Params is the parameters message the client sends after PARAM_EXCHANGE
// (§4). Only what iperf3 3.12 sends is modelled; server_affinity, authtoken
// and the 3.19+/3.21 keys are ignored when decoding and never encoded.
type Params struct {
	TCP, UDP bool // protocol; neither means TCP when encoding
	// SCTP is decoded so that a server can refuse it; cnibench never asks
	// for it.
	SCTP bool

	Omit, Time       int    // seconds: omitted at start (-O), duration (-t; 0 with -n/-k)
	Num, BlockCount  int64  // end after this many bytes (-n) / blocks (-k); 0 = unused
	MSS              int    // TCP_MAXSEG (-M); 0 = unset
	NoDelay          bool   // TCP_NODELAY on data sockets (-N)
	Parallel         int    // streams per direction (-P)
	Reverse          bool   // server sends (-R)
	Bidirectional    bool   // both directions (--bidir)
	Window           int    // SO_SNDBUF/SO_RCVBUF (-w); 0 = unset
	Len              int    // block/datagram size (-l)
	Bandwidth        uint64 // bits/s per stream (-b); 0 = unlimited
	FQRate           uint64 // SO_MAX_PACING_RATE in bits/s (--fq-rate)
	PacingTimer      int    // µs between pacing checks
	Burst            int    // blocks per burst (-b rate/burst)
	TOS              int    // IP_TOS / IPV6_TCLASS (-S)
	FlowLabel        int    // IPv6 flow label (-L)
	Title, ExtraData string // echoed in the -J output
	Congestion       string // TCP_CONGESTION (-C)
	CongestionUsed   string // normally empty in params
	GetServerOutput  bool   // server returns its report with the results
	UDPCounters64    bool   // 64-bit UDP sequence numbers
	RepeatingPayload bool   // payload "0123456789…" instead of random
	ZeroCopy         bool   // sender uses sendfile()
	Discard          bool   // cnibench's own key (DiscardKey): TCP receivers drop the bytes unread
	DontFragment     bool   // IPv4 DF bit on UDP
	ClientVersion    string // informational, e.g. "3.12"
}

// DiscardKey is cnibench's own parameter (Params.Discard): a 3.12 server
// ignores keys it does not know, so a stock peer runs the test as usual.
const DiscardKey = "cnibench_discard"

// Defaults a 3.12 server applies for missing keys (§4).
const (
	DefaultTime        = 10
	DefaultParallel    = 1
	DefaultLen         = 128 * 1024
	DefaultPacingTimer = 1000
)

// DefaultParams returns what a 3.12 server assumes when the client sends no
// keys: TCP, omit 0, time 10, parallel 1, len 131072, pacing_timer 1000,
// everything else zero.
func DefaultParams() Params {
	return Params{
		TCP:         true,
		Time:        DefaultTime,
		Parallel:    DefaultParallel,
		Len:         DefaultLen,
		PacingTimer: DefaultPacingTimer,
	}
}

// ErrProtocolConflict is returned by [Params.MarshalJSON] when more than one
// of TCP, UDP and SCTP is set.
var ErrProtocolConflict = errors.New("iperf3: params: more than one protocol set")

// MarshalJSON encodes p exactly as a 3.12 client does (§4): keys in the
// client's order; the protocol key, omit, time, num, blockcount, parallel,
// len and client_version always; bandwidth always for UDP and otherwise when
// set; every other key only when non-zero/non-empty. Flags are written as
// true, and get_server_output, udp_counters_64bit, repeating_payload,
// zerocopy and dont_fragment as 1, like iperf3.
func (p Params) MarshalJSON() ([]byte, error) {
	n := 0
	for _, b := range []bool{p.TCP, p.UDP, p.SCTP} {
		if b {
			n++
		}
	}
	if n > 1 {
		return nil, ErrProtocolConflict
	}
	w := objWriter{buf: make([]byte, 0, 256)}
	switch {
	case p.UDP:
		w.raw("udp", "true")
	case p.SCTP:
		w.raw("sctp", "true")
	default:
		w.raw("tcp", "true")
	}
	w.int("omit", int64(p.Omit))
	w.int("time", int64(p.Time))
	w.int("num", p.Num)
	w.int("blockcount", p.BlockCount)
	w.intIf("MSS", int64(p.MSS))
	w.flag("nodelay", p.NoDelay)
	w.int("parallel", int64(p.Parallel))
	w.flag("reverse", p.Reverse)
	w.flag("bidirectional", p.Bidirectional)
	w.intIf("window", int64(p.Window))
	w.int("len", int64(p.Len))
	if p.UDP || p.Bandwidth != 0 {
		w.uint("bandwidth", p.Bandwidth)
	}
	if p.FQRate != 0 {
		w.uint("fqrate", p.FQRate)
	}
	w.intIf("pacing_timer", int64(p.PacingTimer))
	w.intIf("burst", int64(p.Burst))
	w.intIf("TOS", int64(p.TOS))
	w.intIf("flowlabel", int64(p.FlowLabel))
	w.strIf("title", p.Title)
	w.strIf("extra_data", p.ExtraData)
	w.strIf("congestion", p.Congestion)
	w.strIf("congestion_used", p.CongestionUsed)
	w.one("get_server_output", p.GetServerOutput)
	w.one("udp_counters_64bit", p.UDPCounters64)
	w.one("repeating_payload", p.RepeatingPayload)
	w.one("zerocopy", p.ZeroCopy)
	w.one(DiscardKey, p.Discard)
	w.one("dont_fragment", p.DontFragment)
	w.str("client_version", p.ClientVersion)
	return w.close(), nil
}

// UnmarshalJSON decodes a parameters object as tolerantly as a 3.12 server:
// missing keys take the [DefaultParams] values; key names match
// case-insensitively and the first of duplicate keys wins (cJSON's lookup);
// unknown keys are ignored; flags follow [Flag] (so "reverse":false is false
// here although a 3.12 server would enable reverse); numbers follow [Int];
// null counts as absent. The protocol is SCTP, else UDP, else TCP, as the
// last matching key wins in iperf3. A value of the wrong type (a string for
// a number or a number for a string) is an error, as is anything but an
// object.
// Values are not range-checked (a negative time or 10000 streams decode
// fine): limits are the server's policy, not the wire format's.
func (p *Params) UnmarshalJSON(data []byte) error {
	m, err := objectMembers(data)
	if err != nil {
		return fmt.Errorf("iperf3: params: %w", err)
	}
	q := DefaultParams()
	flag := func(key string) bool {
		raw, ok := m[key]
		return ok && truthy(raw)
	}
	var errs []error
	intKey := func(key string, dst *int) {
		if raw, ok := present(m, key); ok {
			v, err := parseInt64(raw)
			if err == nil && int64(int(v)) != v {
				err = errors.New("value out of range")
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", key, err))
				return
			}
			*dst = int(v)
		}
	}
	int64Key := func(key string, dst *int64) {
		if raw, ok := present(m, key); ok {
			v, err := parseInt64(raw)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", key, err))
				return
			}
			*dst = v
		}
	}
	uintKey := func(key string, dst *uint64) {
		if raw, ok := present(m, key); ok {
			v, err := parseUint64(raw)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", key, err))
				return
			}
			*dst = v
		}
	}
	strKey := func(key string, dst *string) {
		if raw, ok := present(m, key); ok {
			if raw[0] != '"' {
				errs = append(errs, fmt.Errorf("%s: want a string", key))
				return
			}
			if err := json.Unmarshal(raw, dst); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", key, err))
			}
		}
	}

	q.SCTP = flag("sctp")
	q.UDP = !q.SCTP && flag("udp")
	q.TCP = !q.SCTP && !q.UDP
	intKey("omit", &q.Omit)
	intKey("time", &q.Time)
	int64Key("num", &q.Num)
	int64Key("blockcount", &q.BlockCount)
	intKey("mss", &q.MSS)
	q.NoDelay = flag("nodelay")
	intKey("parallel", &q.Parallel)
	q.Reverse = flag("reverse")
	q.Bidirectional = flag("bidirectional")
	intKey("window", &q.Window)
	intKey("len", &q.Len)
	uintKey("bandwidth", &q.Bandwidth)
	uintKey("fqrate", &q.FQRate)
	intKey("pacing_timer", &q.PacingTimer)
	intKey("burst", &q.Burst)
	intKey("tos", &q.TOS)
	intKey("flowlabel", &q.FlowLabel)
	strKey("title", &q.Title)
	strKey("extra_data", &q.ExtraData)
	strKey("congestion", &q.Congestion)
	strKey("congestion_used", &q.CongestionUsed)
	q.GetServerOutput = flag("get_server_output")
	q.UDPCounters64 = flag("udp_counters_64bit")
	q.RepeatingPayload = flag("repeating_payload")
	q.ZeroCopy = flag("zerocopy")
	q.Discard = flag(DiscardKey)
	q.DontFragment = flag("dont_fragment")
	strKey("client_version", &q.ClientVersion)
	if len(errs) > 0 {
		return fmt.Errorf("iperf3: params: %w", errors.Join(errs...))
	}
	*p = q
	return nil
}

// present returns the value of key unless it is missing or null.
func present(m map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	raw, ok := m[key]
	if !ok || string(raw) == "null" {
		return nil, false
	}
	return raw, true
}

// objectMembers splits the JSON object data into its members, keyed by the
// ASCII-lower-cased name; the first of duplicate names wins. Values are
// compact JSON.
func objectMembers(data []byte) (map[string]json.RawMessage, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	if !json.Valid(data) {
		return nil, errors.New("invalid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // '{'
		return nil, err
	}
	m := make(map[string]json.RawMessage)
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		key = asciiLower(key)
		if _, dup := m[key]; !dup {
			m[key] = raw
		}
	}
	return m, nil
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// objWriter writes a JSON object with keys in call order.
type objWriter struct {
	buf []byte
}

func (w *objWriter) key(k string) {
	if len(w.buf) == 0 {
		w.buf = append(w.buf, '{')
	} else {
		w.buf = append(w.buf, ',')
	}
	w.buf = strconv.AppendQuote(w.buf, k) // keys are plain ASCII
	w.buf = append(w.buf, ':')
}

func (w *objWriter) raw(k, v string) { w.key(k); w.buf = append(w.buf, v...) }

func (w *objWriter) int(k string, v int64) { w.key(k); w.buf = strconv.AppendInt(w.buf, v, 10) }

func (w *objWriter) uint(k string, v uint64) { w.key(k); w.buf = strconv.AppendUint(w.buf, v, 10) }

func (w *objWriter) intIf(k string, v int64) {
	if v != 0 {
		w.int(k, v)
	}
}

func (w *objWriter) flag(k string, v bool) {
	if v {
		w.raw(k, "true")
	}
}

func (w *objWriter) one(k string, v bool) {
	if v {
		w.raw(k, "1")
	}
}

func (w *objWriter) str(k, v string) {
	w.key(k)
	b, _ := json.Marshal(v) // a string always marshals
	w.buf = append(w.buf, b...)
}

func (w *objWriter) strIf(k, v string) {
	if v != "" {
		w.str(k, v)
	}
}

func (w *objWriter) close() []byte {
	if len(w.buf) == 0 {
		return []byte("{}")
	}
	return append(w.buf, '}')
}
