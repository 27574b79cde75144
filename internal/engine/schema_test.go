package engine

import (
	"context"
	"os"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/iperf3"
)

// TestReportSchemaMatchesIperf3 checks that our -J document has every key
// path of a real iperf3 3.12 capture of the same kind of test, so a script
// that parses iperf3 -J parses ours.
func TestReportSchemaMatchesIperf3(t *testing.T) {
	addr := startServer(t, &Server{})
	for _, tc := range []struct {
		capture string
		spec    Spec
	}{
		{"iperf3-3.12-client-tcp.json", Spec{Duration: 2 * time.Second}},
		{"iperf3-3.12-client-udp.json", Spec{Protocol: UDP, Duration: 2 * time.Second, Rate: 1 << 20, Length: 32768}},
	} {
		t.Run(tc.capture, func(t *testing.T) {
			want, err := os.ReadFile("../iperf3/testdata/" + tc.capture)
			if err != nil {
				t.Fatal(err)
			}
			res, err := (&Client{}).Run(context.Background(), addr, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ReportJSON(res, ClientRole)
			if err != nil {
				t.Fatal(err)
			}
			have := map[string]bool{}
			for _, p := range keyPaths(t, got) {
				have[p] = true
			}
			for _, p := range keyPaths(t, want) {
				if !have[p] {
					t.Errorf("iperf3 has %s, we do not", p)
				}
			}
		})
	}
}

var index = regexp.MustCompile(`\[\d+\]`)

// keyPaths lists a JSON document's key paths with array indices folded
// ("end.streams[].sender.bytes"), each once.
func keyPaths(t *testing.T, b []byte) []string {
	t.Helper()
	all, err := iperf3.KeyPaths(b)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, p := range all {
		if q := index.ReplaceAllString(p, "[]"); !slices.Contains(paths, q) {
			paths = append(paths, q)
		}
	}
	return paths
}
