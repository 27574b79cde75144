package image

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestImageOf(t *testing.T) {
	img, err := imageOf([]byte("not really a binary"), "amd64")
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != User || len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != BinaryPath || cf.Architecture != "amd64" || cf.OS != "linux" {
		t.Errorf("config %+v", cf.Config)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers %d, %v", len(layers), err)
	}
}

func TestBuildFromStaticBinary(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "cnibench")
	// A static ELF: the test binary itself when linked statically is not
	// guaranteed, so check Static's refusal and acceptance on what we have.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if Static(exe) != nil {
		if _, err := Build(context.Background(), filepath.Join(dir, "x.tar"), Options{Binary: exe}); err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
			t.Fatalf("dynamic binary: err = %v, want the CGO_ENABLED=0 hint", err)
		}
		t.Skip("the test binary is dynamically linked; the static path is covered by TestBuildCompiles")
	}
	b, _ := os.ReadFile(exe)
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	checkTarball(t, bin, dir)
}

// TestBuildCompiles builds ./cmd/cnibench statically and packs it.
func TestBuildCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cnibench")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "cnibench.tar")
	ref, err := Build(context.Background(), out, Options{Source: "../..", Ref: "cnibench.invalid/test:1"})
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(out, mustTag(t, ref))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := img.Digest(); err != nil {
		t.Fatal(err)
	}
}

func checkTarball(t *testing.T, bin, dir string) {
	out := filepath.Join(dir, "cnibench.tar")
	ref, err := Build(context.Background(), out, Options{Binary: bin, Ref: "cnibench.invalid/test:1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tarball.ImageFromPath(out, mustTag(t, ref)); err != nil {
		t.Fatal(err)
	}
}

func mustTag(t *testing.T, ref string) *name.Tag {
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	return &tag
}

func TestDefaultRef(t *testing.T) {
	if _, err := name.NewTag(DefaultRef()); err != nil {
		t.Errorf("DefaultRef %q: %v", DefaultRef(), err)
	}
}
