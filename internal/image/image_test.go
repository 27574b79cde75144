package image

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/version"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
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

func TestRelease(t *testing.T) {
	for v, want := range map[string]bool{
		"v1.2.3": true, "v0.1.0-rc.1": true, "v10.0.0": true,
		"devel": false, "v1.2.3+dirty": false, "v0.0.0-20261127123000-0123456789ab": false,
		"v1.2.4-0.20261127123000-0123456789ab": false, "v1.2.3-rc.1.0.20261127123000-0123456789ab+dirty": false, "": false,
	} {
		if got := release(v); got != want {
			t.Errorf("release(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestOptionErrors(t *testing.T) {
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "x.tar")
	for _, tc := range []struct {
		name string
		do   func() error
		want string
	}{
		{"unknown arch", func() error { _, err := Push(ctx, Options{Arches: []string{"x86"}}); return err }, `unknown arch "x86": use GOARCH names`},
		{"binary with two arches", func() error {
			_, err := Push(ctx, Options{Binary: "cnibench", Arches: []string{"amd64", "arm64"}})
			return err
		}, "a --binary is of one arch, not amd64,arm64"},
		{"tarball of two arches", func() error {
			_, err := Build(ctx, out, Options{Arches: []string{"amd64", "arm64"}})
			return err
		}, "an image tarball holds one arch"},
		{"bad reference", func() error { _, err := Build(ctx, out, Options{Ref: "Not A Ref"}); return err }, `image reference "Not A Ref"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestInsecure(t *testing.T) {
	for _, insecure := range []bool{false, true} {
		tag, err := Options{Ref: "registry.example:5000/cnibench:v1", Insecure: insecure}.reference()
		if err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{false: "https", true: "http"}[insecure]
		if got := tag.Context().Scheme(); got != want {
			t.Errorf("insecure %v: scheme %s, want %s", insecure, got, want)
		}
	}
}

// otherArch is the one arch tests cross-build for.
func otherArch() string {
	if runtime.GOARCH == "arm64" {
		return "amd64"
	}
	return "arm64"
}

// TestPush pushes a one-arch image and a two-arch index to a registry on
// loopback and pulls them back.
func TestPush(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cnibench for two arches")
	}
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // anonymous: no one's credentials
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()

	bin := filepath.Join(t.TempDir(), "cnibench")
	if err := buildBinary(ctx, "../..", runtime.GOARCH, bin); err != nil {
		t.Fatal(err)
	}
	if err := checkBinary(bin, otherArch()); err == nil || !strings.Contains(err.Error(), "binary, not "+otherArch()) {
		t.Errorf("a %s binary as %s: %v", runtime.GOARCH, otherArch(), err)
	}
	want, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("one arch", func(t *testing.T) {
		p, err := Push(ctx, Options{Ref: host + "/cnibench/cnibench:one", Binary: bin, Insecure: true})
		if err != nil {
			t.Fatal(err)
		}
		desc, err := remote.Get(mustTag(t, host+"/cnibench/cnibench:one"))
		if err != nil {
			t.Fatal(err)
		}
		if desc.Digest.String() != p.Ref.DigestStr() || desc.MediaType != types.DockerManifestSchema2 {
			t.Errorf("pulled %s %s, pushed %s", desc.MediaType, desc.Digest, p.Ref)
		}
		img, err := desc.Image()
		if err != nil {
			t.Fatal(err)
		}
		if got := checkImage(t, img, runtime.GOARCH); !bytes.Equal(got, want) {
			t.Errorf("the image's %s is not the binary pushed (%d bytes, want %d)", BinaryPath, len(got), len(want))
		}
	})

	t.Run("index", func(t *testing.T) {
		arches := []string{runtime.GOARCH, otherArch()}
		p, err := Push(ctx, Options{Ref: host + "/cnibench/cnibench:multi", Source: "../..", Arches: arches, Insecure: true})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.Arches, arches) {
			t.Errorf("pushed %v, want %v", p.Arches, arches)
		}
		idx, err := remote.Index(mustTag(t, host+"/cnibench/cnibench:multi"))
		if err != nil {
			t.Fatal(err)
		}
		d, err := idx.Digest()
		if err != nil || d.String() != p.Ref.DigestStr() {
			t.Errorf("pulled index %s (%v), pushed %s", d, err, p.Ref)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		if im.MediaType != types.DockerManifestList || len(im.Manifests) != len(arches) {
			t.Fatalf("index %s with %d manifests", im.MediaType, len(im.Manifests))
		}
		for i, m := range im.Manifests {
			if m.Platform == nil || m.Platform.OS != "linux" || m.Platform.Architecture != arches[i] {
				t.Errorf("manifest %d: platform %v, want linux/%s", i, m.Platform, arches[i])
			}
			img, err := idx.Image(m.Digest)
			if err != nil {
				t.Fatal(err)
			}
			checkImage(t, img, arches[i])
		}
	})
}

// checkImage checks img's config and its one layer, whose /cnibench must
// be a static cnibench for arch, and returns that binary.
func checkImage(t *testing.T, img v1.Image, arch string) []byte {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != arch || cf.Config.User != User || !slices.Equal(cf.Config.Entrypoint, []string{BinaryPath}) {
		t.Errorf("config %s/%s user %q entrypoint %q, want linux/%s %q %q", cf.OS, cf.Architecture, cf.Config.User, cf.Config.Entrypoint, arch, User, BinaryPath)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("%d layers, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("no %s in the layer: %v", BinaryPath, err)
		}
		if "/"+h.Name != BinaryPath {
			continue
		}
		bin, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		f, err := elf.NewFile(bytes.NewReader(bin))
		if err != nil {
			t.Fatal(err)
		}
		if f.Machine != elfMachines[arch] || h.Mode&0o111 == 0 {
			t.Errorf("%s: %s, mode %o; want %s, executable", BinaryPath, f.Machine, h.Mode, arch)
		}
		if bi, err := buildinfo.Read(bytes.NewReader(bin)); err != nil || bi.Path != "github.com/cnibench/cnibench/cmd/cnibench" {
			t.Errorf("%s is not cnibench: %v", BinaryPath, err)
		}
		return bin
	}
}

// TestGoBuildStampsRelease: a release's cnibench builds the other arches
// as the same release; a development build leaves the stamp to go build.
func TestGoBuildStampsRelease(t *testing.T) {
	defer func(v, c string) { version.Version, version.Commit = v, c }(version.Version, version.Commit)
	version.Version, version.Commit = "", ""
	if args := strings.Join(goBuild(context.Background(), ".", "arm64", "x").Args, " "); strings.Contains(args, "-ldflags") {
		t.Errorf("development build: %s", args)
	}
	version.Version, version.Commit = "v9.8.7", "abc123"
	cmd := goBuild(context.Background(), ".", "arm64", "x")
	want := "go build -trimpath -ldflags -X github.com/cnibench/cnibench/internal/version.Version=v9.8.7 -X github.com/cnibench/cnibench/internal/version.Commit=abc123 -o x ./cmd/cnibench"
	if got := strings.Join(cmd.Args, " "); got != want {
		t.Errorf("release build:\n got %s\nwant %s", got, want)
	}
	if !slices.Contains(cmd.Env, "GOARCH=arm64") || !slices.Contains(cmd.Env, "CGO_ENABLED=0") {
		t.Errorf("env lacks GOARCH=arm64, CGO_ENABLED=0")
	}
}
