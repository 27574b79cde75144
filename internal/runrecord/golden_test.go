package runrecord_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/runrecord/runrecordtest"
	"github.com/cnibench/cnibench/internal/stats"
)

var update = flag.Bool("update", false, "rewrite testdata/*.json with the records the fixtures write now")

// TestGoldenRecord pins the JSON of cnibench.run/v1: a fixture run (both
// datapaths and protocols, failed samples, encapsulated and MTU paths) writes
// testdata/run.json byte for byte, and that file reads back and writes out
// byte-identically, so a change of a Go type that would change the schema
// fails here instead of in a reader's script.
func TestGoldenRecord(t *testing.T) {
	for _, tc := range []struct {
		file string
		opts runrecordtest.Options
	}{
		{"run.json", runrecordtest.Options{Repeats: 3, Scenarios: []string{"node-node", "pod-node", "pod-pod-cross", "node-node-same", "pod-pod-same", "pod-nodeport"}}},
		// the nodes' CPU of every test (node_cpu) and its summaries
		{"nodecpu.json", runrecordtest.Options{Repeats: 2, Variants: []string{"datapath=vxlan"}, Scenarios: []string{"node-node", "pod-pod-cross"},
			Protocols: []stats.Protocol{stats.TCP}, NodeCPU: true}},
	} {
		t.Run(tc.file, func(t *testing.T) { goldenRecord(t, tc.file, runrecordtest.Build(tc.opts)) })
	}
}

func goldenRecord(t *testing.T, file string, run *runrecord.Run) {
	path := filepath.Join("testdata", file)
	var got bytes.Buffer
	if err := runrecord.Write(&got, run); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/runrecord -update creates it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("the fixture's record differs from %s at byte %d (if intended: -update, then review git diff)", path, firstDiff(got.Bytes(), want))
	}
	run, err = runrecord.Read(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := runrecord.Write(&again, run); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), want) {
		t.Errorf("%s read and written again differs at byte %d", path, firstDiff(again.Bytes(), want))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
