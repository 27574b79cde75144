package agent

import (
	"bytes"
	"testing"

	"github.com/cnibench/cnibench/internal/engine"
)

// FuzzReadLines: the backend reads these bytes from a pod, which may run
// anything. Whatever they are, ReadLines returns a result or an error,
// never both, never neither, and never panics; a result it returns
// survives another round trip.
func FuzzReadLines(f *testing.F) {
	var buf bytes.Buffer
	lw := NewLineWriter(&buf)
	res := sampleResult()
	_ = lw.Write(Line{Interval: &res.Intervals[0]})
	_ = lw.Write(Line{Result: res})
	f.Add(buf.Bytes())
	f.Add([]byte(`{"error":"connect: connection refused"}` + "\n"))
	f.Add([]byte(`{"interval":{"sum":{"bits_per_second":1e9}}}` + "\n\n{}\n"))
	f.Add([]byte("Connecting to host 198.18.0.2, port 5201\n"))
	f.Add([]byte(`{"result":null,"interval":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ReadLines(bytes.NewReader(b), func(engine.Interval) {})
		if (got == nil) == (err == nil) {
			t.Fatalf("result %v and error %v", got, err)
		}
		if err != nil {
			return
		}
		var again bytes.Buffer
		if err := NewLineWriter(&again).Write(Line{Result: got}); err != nil {
			t.Fatalf("a result read from the wire does not encode: %v", err)
		}
		if _, err := ReadLines(&again, nil); err != nil {
			t.Fatalf("a result read from the wire does not read back: %v", err)
		}
	})
}

// FuzzReadInterfaces: netinfo's output comes from a pod too.
func FuzzReadInterfaces(f *testing.F) {
	var buf bytes.Buffer
	_ = WriteInterfaces(&buf, []NetInterface{{Name: "eth0", MTU: 1450, Up: true, Addrs: []string{"198.19.0.3/24"}}})
	f.Add(buf.Bytes())
	f.Add([]byte("null"))
	f.Add([]byte(`[{"name":"eth0","mtu":-1,"addrs":["not a prefix"]}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ifs, err := ReadInterfaces(b)
		if err != nil {
			return
		}
		_ = MTUOf(ifs, netipMust("198.19.0.3:1").Addr())
	})
}
