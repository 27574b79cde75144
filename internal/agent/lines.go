package agent

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/cnibench/cnibench/internal/engine"
)

// Line is one line the pod's client writes (client --result-json): an
// interval as it ends, then the result or the error. The whole
// engine.Result crosses the exec, not iperf3's smaller -J schema.
type Line struct {
	Interval *engine.Interval `json:"interval,omitempty"`
	Result   *engine.Result   `json:"result,omitempty"`
	// Latency is a latency test's result (client --latency-spec-json).
	Latency *engine.LatencyResult `json:"latency,omitempty"`
	Error   string                `json:"error,omitempty"`
}

// LineWriter writes Lines, one JSON object per line; it is safe for the
// engine's sampler and the caller to use at once.
type LineWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// NewLineWriter writes to w.
func NewLineWriter(w io.Writer) *LineWriter { return &LineWriter{enc: json.NewEncoder(w)} }

// Write writes one line.
func (lw *LineWriter) Write(l Line) error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.enc.Encode(l)
}

// ErrNoResult is a client that ended without a result or error line: it
// was killed, or the exec failed before it started.
var ErrNoResult = errors.New("the client printed no result")

// maxLine bounds one line: a result with many intervals and streams.
const maxLine = 64 << 20

// ReadLines reads a client's lines, calling onInterval (if not nil) for
// each interval, and returns its result, or the error it reported.
// Output that is not Lines (another program, another version) is an
// error that says so.
func ReadLines(r io.Reader, onInterval func(engine.Interval)) (*engine.Result, error) {
	last, err := readLines(r, onInterval, func(l Line) bool { return l.Result != nil })
	if err != nil {
		return nil, err
	}
	return last.Result, nil
}

// ReadLatencyLines reads a latency client's lines and returns its result,
// or the error it reported.
func ReadLatencyLines(r io.Reader) (*engine.LatencyResult, error) {
	last, err := readLines(r, nil, func(l Line) bool { return l.Latency != nil })
	if err != nil {
		return nil, err
	}
	return last.Latency, nil
}

// readLines reads Lines up to the end of r and returns the last one that
// isResult accepts, or the error the client reported, or ErrNoResult.
func readLines(r io.Reader, onInterval func(engine.Interval), isResult func(Line) bool) (Line, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var res *Line
	var errMsg string
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var l Line
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			return Line{}, fmt.Errorf("client output is not --%s (is the image a cnibench of this version?): %q", FlagResultJSON, Truncate(line, 200))
		}
		switch {
		case l.Interval != nil:
			if onInterval != nil {
				onInterval(*l.Interval)
			}
		case isResult(l):
			res = &l
		case l.Error != "":
			errMsg = l.Error
		}
	}
	if err := sc.Err(); err != nil {
		return Line{}, err
	}
	if errMsg != "" {
		return Line{}, errors.New(errMsg)
	}
	if res == nil {
		return Line{}, ErrNoResult
	}
	return *res, nil
}

// Truncate shortens s to n bytes and marks the cut, for quoting a pod's
// output in an error.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
