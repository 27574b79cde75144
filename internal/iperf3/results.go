package iperf3

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Results is the message each side sends during EXCHANGE_RESULTS (§7):
// the client first, then the server.
type Results struct {
	CPUUtilTotal, CPUUtilUser, CPUUtilSystem float64 // percent over the test
	// SenderHasRetransmits is -1 when this side only receives, 1 when it
	// sends TCP with TCP_INFO retransmits available, else 0.
	SenderHasRetransmits int64
	CongestionUsed       string          // TCP only; omitted when empty
	ServerOutputText     string          // server only; omitted when empty
	ServerOutputJSON     json.RawMessage // server only; omitted when nil
	Streams              []StreamResults
	// Modes is cnibench's own key (ModesKey): how this side moved its
	// bytes (engine's mode names). iperf3 ignores keys it does not know,
	// and sends none, so a stock peer's Modes is nil: unknown, not plain.
	Modes []string
}

// ModesKey carries Results.Modes. Decoding keeps at most MaxModes names
// of at most MaxModeLen bytes, and ignores a value of another shape:
// the peer's word on its own modes is information, never a reason to
// fail a test.
const (
	ModesKey   = "cnibench_modes"
	MaxModes   = 16
	MaxModeLen = 32
)

// StreamResults is one local stream's totals in [Results].
type StreamResults struct {
	ID int // 1, 3, 4, 5, … (§5.2)
	// Bytes is bytes sent after omit for a sending stream, bytes received
	// for a receiving one.
	Bytes uint64
	// Retransmits is the sender's total after omit, or -1 when not
	// available (receiving streams, no TCP_INFO).
	Retransmits int64
	Jitter      float64 // seconds; UDP receiver, else 0
	Errors      int64   // UDP lost packets (receiver), else 0
	Packets     int64   // UDP: sent (sender) or highest seq (receiver); 0 for TCP
	// OmittedErrors and OmittedPackets (3.14+) are sent both or neither.
	OmittedErrors, OmittedPackets *int64
	StartTime, EndTime            float64 // seconds; start is always 0
}

// ErrOmittedPair is returned when only one of omitted_errors and
// omitted_packets is set (encoding) or present (decoding).
var ErrOmittedPair = errors.New("omitted_errors and omitted_packets must come together")

type resultsWire struct {
	CPUUtilTotal         float64         `json:"cpu_util_total"`
	CPUUtilUser          float64         `json:"cpu_util_user"`
	CPUUtilSystem        float64         `json:"cpu_util_system"`
	SenderHasRetransmits Int             `json:"sender_has_retransmits"`
	CongestionUsed       string          `json:"congestion_used,omitempty"`
	ServerOutputText     string          `json:"server_output_text,omitempty"`
	ServerOutputJSON     json.RawMessage `json:"server_output_json,omitempty"`
	Streams              []streamWire    `json:"streams"`
	Modes                []string        `json:"cnibench_modes,omitempty"` // ModesKey
}

type streamWire struct {
	ID             Int         `json:"id"`
	Bytes          uint64Value `json:"bytes"`
	Retransmits    Int         `json:"retransmits"`
	Jitter         float64     `json:"jitter"`
	Errors         Int         `json:"errors"`
	OmittedErrors  *Int        `json:"omitted_errors,omitempty"`
	Packets        Int         `json:"packets"`
	OmittedPackets *Int        `json:"omitted_packets,omitempty"`
	StartTime      float64     `json:"start_time"`
	EndTime        float64     `json:"end_time"`
}

// MarshalJSON encodes r with the keys and order of iperf3 (§7). Streams is
// always an array, never null. It fails if a stream has only one of the
// omitted_* values, or on a non-finite float.
func (r Results) MarshalJSON() ([]byte, error) {
	w := resultsWire{
		CPUUtilTotal:         r.CPUUtilTotal,
		CPUUtilUser:          r.CPUUtilUser,
		CPUUtilSystem:        r.CPUUtilSystem,
		SenderHasRetransmits: Int(r.SenderHasRetransmits),
		CongestionUsed:       r.CongestionUsed,
		ServerOutputText:     r.ServerOutputText,
		ServerOutputJSON:     r.ServerOutputJSON,
		Streams:              make([]streamWire, len(r.Streams)),
		Modes:                r.Modes,
	}
	for i, s := range r.Streams {
		if (s.OmittedErrors == nil) != (s.OmittedPackets == nil) {
			return nil, fmt.Errorf("iperf3: results: stream %d: %w", i, ErrOmittedPair)
		}
		w.Streams[i] = streamWire{
			ID:          Int(s.ID),
			Bytes:       uint64Value(s.Bytes),
			Retransmits: Int(s.Retransmits),
			Jitter:      s.Jitter,
			Errors:      Int(s.Errors),
			Packets:     Int(s.Packets),
			StartTime:   s.StartTime,
			EndTime:     s.EndTime,
		}
		if s.OmittedErrors != nil {
			oe, op := Int(*s.OmittedErrors), Int(*s.OmittedPackets)
			w.Streams[i].OmittedErrors, w.Streams[i].OmittedPackets = &oe, &op
		}
	}
	return json.Marshal(w)
}

// Decoding uses pointers so that a missing (or null) required key is told
// apart from a zero.
type resultsIn struct {
	CPUUtilTotal         *float64        `json:"cpu_util_total"`
	CPUUtilUser          *float64        `json:"cpu_util_user"`
	CPUUtilSystem        *float64        `json:"cpu_util_system"`
	SenderHasRetransmits *Int            `json:"sender_has_retransmits"`
	CongestionUsed       *string         `json:"congestion_used"`
	ServerOutputText     *string         `json:"server_output_text"`
	ServerOutputJSON     json.RawMessage `json:"server_output_json"`
	Streams              *[]streamIn     `json:"streams"`
	Modes                json.RawMessage `json:"cnibench_modes"`
}

type streamIn struct {
	ID             *Int         `json:"id"`
	Bytes          *uint64Value `json:"bytes"`
	Retransmits    *Int         `json:"retransmits"`
	Jitter         *float64     `json:"jitter"`
	Errors         *Int         `json:"errors"`
	OmittedErrors  *Int         `json:"omitted_errors"`
	Packets        *Int         `json:"packets"`
	OmittedPackets *Int         `json:"omitted_packets"`
	StartTime      *float64     `json:"start_time"`
	EndTime        *float64     `json:"end_time"`
}

// UnmarshalJSON decodes a results message. Numbers follow [Int] (3.12's
// 18446744073709551615 is -1; bytes are unsigned). Like a 3.12 reader
// (i_errno 117) it fails when cpu_util_total, cpu_util_user,
// cpu_util_system, sender_has_retransmits or streams is missing or null, or
// a stream lacks id, bytes, retransmits, jitter, errors or packets; like
// 3.14+ it fails when a stream has only one of omitted_errors and
// omitted_packets. start_time and end_time default to 0. Key names match
// case-insensitively (encoding/json), and the last of duplicate keys wins.
func (r *Results) UnmarshalJSON(data []byte) error {
	if b := bytes.TrimSpace(data); len(b) == 0 || b[0] != '{' {
		return errors.New("iperf3: results: not a JSON object")
	}
	var in resultsIn
	if err := json.Unmarshal(data, &in); err != nil {
		return fmt.Errorf("iperf3: results: %w", err)
	}
	var missing []string
	need := func(ok bool, key string) {
		if !ok {
			missing = append(missing, key)
		}
	}
	need(in.CPUUtilTotal != nil, "cpu_util_total")
	need(in.CPUUtilUser != nil, "cpu_util_user")
	need(in.CPUUtilSystem != nil, "cpu_util_system")
	need(in.SenderHasRetransmits != nil, "sender_has_retransmits")
	need(in.Streams != nil, "streams")
	if len(missing) > 0 {
		return fmt.Errorf("iperf3: results: missing %q", missing)
	}
	out := Results{
		CPUUtilTotal:         *in.CPUUtilTotal,
		CPUUtilUser:          *in.CPUUtilUser,
		CPUUtilSystem:        *in.CPUUtilSystem,
		SenderHasRetransmits: int64(*in.SenderHasRetransmits),
		Streams:              make([]StreamResults, len(*in.Streams)),
	}
	if in.CongestionUsed != nil {
		out.CongestionUsed = *in.CongestionUsed
	}
	if in.ServerOutputText != nil {
		out.ServerOutputText = *in.ServerOutputText
	}
	if len(in.ServerOutputJSON) > 0 && string(in.ServerOutputJSON) != "null" {
		out.ServerOutputJSON = in.ServerOutputJSON
	}
	out.Modes = decodeModes(in.Modes)
	for i, s := range *in.Streams {
		need(s.ID != nil, "id")
		need(s.Bytes != nil, "bytes")
		need(s.Retransmits != nil, "retransmits")
		need(s.Jitter != nil, "jitter")
		need(s.Errors != nil, "errors")
		need(s.Packets != nil, "packets")
		if len(missing) > 0 {
			return fmt.Errorf("iperf3: results: stream %d: missing %q", i, missing)
		}
		if (s.OmittedErrors == nil) != (s.OmittedPackets == nil) {
			return fmt.Errorf("iperf3: results: stream %d: %w", i, ErrOmittedPair)
		}
		if int64(int(*s.ID)) != int64(*s.ID) {
			return fmt.Errorf("iperf3: results: stream %d: id out of range", i)
		}
		st := StreamResults{
			ID:          int(*s.ID),
			Bytes:       uint64(*s.Bytes),
			Retransmits: int64(*s.Retransmits),
			Jitter:      *s.Jitter,
			Errors:      int64(*s.Errors),
			Packets:     int64(*s.Packets),
		}
		if s.OmittedErrors != nil {
			oe, op := int64(*s.OmittedErrors), int64(*s.OmittedPackets)
			st.OmittedErrors, st.OmittedPackets = &oe, &op
		}
		if s.StartTime != nil {
			st.StartTime = *s.StartTime
		}
		if s.EndTime != nil {
			st.EndTime = *s.EndTime
		}
		out.Streams[i] = st
	}
	*r = out
	return nil
}

// decodeModes reads ModesKey's value: a list of short names, or nil when
// it is absent or of another shape (see ModesKey).
func decodeModes(raw json.RawMessage) []string {
	var names []string
	if len(raw) == 0 || json.Unmarshal(raw, &names) != nil {
		return nil
	}
	var out []string
	for _, n := range names {
		if n != "" && len(n) <= MaxModeLen && len(out) < MaxModes {
			out = append(out, n)
		}
	}
	return out
}
