package agent

import (
	"bytes"
	"testing"

	"github.com/cnibench/cnibench/internal/engine"
)

// FuzzReadLatencyLines: a latency client's output comes from a pod too.
// Whatever the bytes, ReadLatencyLines returns a result or an error,
// never both, never neither, and never panics.
func FuzzReadLatencyLines(f *testing.F) {
	var buf bytes.Buffer
	_ = NewLineWriter(&buf).Write(Line{Latency: &engine.LatencyResult{Spec: engine.LatencySpec{Mode: engine.RR},
		Transactions: 3, P50Us: 40, P99Us: 90, Histogram: "HISTFAAAAB94nJNpmSzMwMDAxQABzFCaEUzmQRhsAA"}})
	f.Add(buf.Bytes())
	f.Add([]byte(`{"error":"rr test to 198.18.0.2:5201: connection refused"}` + "\n"))
	f.Add([]byte(`{"result":{"spec":{}}}` + "\n"))
	f.Add([]byte(`{"latency":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ReadLatencyLines(bytes.NewReader(b))
		if (got == nil) == (err == nil) {
			t.Fatalf("result %v and error %v", got, err)
		}
	})
}
