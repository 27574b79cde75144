package cluster

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/testenv"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TestIperf3Image packs the host's iperf3 with what it loads, and checks
// the image holds the binary, libiperf and the loader.
func TestIperf3Image(t *testing.T) {
	iperf3 := testenv.MustHaveIperf3(t)
	out := filepath.Join(t.TempDir(), "iperf3.tar")
	if err := WriteIperf3Image(out); err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cf.Config.Entrypoint, []string{"/usr/bin/iperf3"}) {
		t.Errorf("entrypoint %v", cf.Config.Entrypoint)
	}
	files, err := elfClosure(iperf3)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(files, " ")
	for _, want := range []string{"libiperf.so.0", "libc.so.6", "ld-linux"} {
		if !strings.Contains(joined, want) {
			t.Errorf("closure %v lacks %s", files, want)
		}
	}
}
