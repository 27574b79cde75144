package iperf3

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// MaxMessageSize is the default limit for [ReadMessage]: 1 MiB. iperf3
// results are unbounded in principle (server_output_json grows with the
// number of intervals and streams); pass a larger limit where that matters.
// 3.18+ servers limit the params message to 8 KiB.
const MaxMessageSize = 1 << 20

// Errors returned by the message readers; test with errors.Is.
var (
	ErrEmptyMessage    = errors.New("iperf3: JSON message of length 0")
	ErrMessageTooLarge = errors.New("iperf3: JSON message larger than the limit")
)

// WriteMessage writes v as one control-connection JSON message (§3): a
// 4-byte big-endian length followed by v marshalled as compact JSON, in a
// single Write call. Pass a json.RawMessage to send pre-encoded JSON (it is
// compacted and validated).
func WriteMessage(w io.Writer, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("iperf3: encoding message: %w", err)
	}
	if uint64(len(body)) > math.MaxUint32 {
		return fmt.Errorf("%w: %d bytes", ErrMessageTooLarge, len(body))
	}
	buf := make([]byte, 4, 4+len(body))
	binary.BigEndian.PutUint32(buf, uint32(len(body)))
	buf = append(buf, body...)
	n, err := w.Write(buf)
	if err == nil && n != len(buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("iperf3: writing message: %w", err)
	}
	return nil
}

// ReadMessageRaw reads one JSON message and returns its body, unparsed.
// A length of 0, or above limit (limit <= 0 means [MaxMessageSize]), is an
// error reported before any buffer is allocated. EOF before the first byte
// returns an error wrapping io.EOF; EOF inside the message, one wrapping
// io.ErrUnexpectedEOF.
func ReadMessageRaw(r io.Reader, limit int) ([]byte, error) {
	if limit <= 0 {
		limit = MaxMessageSize
	}
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("iperf3: reading message length: %w", err)
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 {
		return nil, ErrEmptyMessage
	}
	if uint64(n) > uint64(limit) {
		return nil, fmt.Errorf("%w: %d > %d bytes", ErrMessageTooLarge, n, limit)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("iperf3: reading %d-byte message: %w", n, err)
	}
	return body, nil
}

// ReadMessage reads one JSON message with [ReadMessageRaw] and decodes it
// into v with encoding/json. The body must be exactly one JSON value.
func ReadMessage(r io.Reader, limit int, v any) error {
	body, err := ReadMessageRaw(r, limit)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("iperf3: decoding message: %w", err)
	}
	return nil
}
