package agent

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/nodecpu"
)

func TestCPUStatRoundTrip(t *testing.T) {
	want := nodecpu.Times{User: 1, Nice: 2, System: 3, Idle: 4, IOWait: 5, IRQ: 6, SoftIRQ: 7, Steal: 8, CPUs: 2}
	var buf bytes.Buffer
	if err := WriteCPUStat(&buf, want); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "\n"); n != 1 {
		t.Errorf("%d lines, want one: %q", n, buf.String())
	}
	got, err := ReadCPUStat(buf.Bytes())
	if err != nil || got != want {
		t.Fatalf("read %+v, %v; want %+v", got, err, want)
	}
}

func TestReadCPUStatErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, err string }{
		{"empty", "", "not CPU times"},
		{"not JSON", "exec: cpustat: not found\n", "not CPU times"},
		{"no CPUs", `{"user":1}`, "counts 0 CPUs"},
		{"negative", `{"user":-1,"cpus":1}`, "not CPU times"},
		{"unknown field", `{"cpus":1,"guest":3}`, "not CPU times"},
		{"two lines", `{"cpus":1}` + "\n" + `{"cpus":1}`, "more than one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadCPUStat([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
		})
	}
}

// FuzzReadCPUStat: the backend reads these bytes from a pod. Whatever they
// are, ReadCPUStat returns times with a CPU or an error, never panics, and
// what it returns survives another round trip.
func FuzzReadCPUStat(f *testing.F) {
	var buf bytes.Buffer
	_ = WriteCPUStat(&buf, nodecpu.Times{User: 1131078, System: 531708, Idle: 581105, SoftIRQ: 99299, CPUs: 2})
	f.Add(buf.Bytes())
	f.Add([]byte(`{"cpus":1}{"cpus":2}`))
	f.Add([]byte("cpu  1 2 3 4\ncpu0 1 2 3 4\n"))
	f.Add([]byte(`{"cpus":1e3}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ReadCPUStat(b)
		if err != nil {
			return
		}
		if got.CPUs < 1 {
			t.Fatalf("read %+v without an error", got)
		}
		var again bytes.Buffer
		if err := WriteCPUStat(&again, got); err != nil {
			t.Fatal(err)
		}
		if back, err := ReadCPUStat(again.Bytes()); err != nil || back != got {
			t.Fatalf("round trip: %+v, %v; want %+v", back, err, got)
		}
	})
}
