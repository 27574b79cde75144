// Package image writes cnibench's container image without Docker: one
// layer holding the static cnibench binary, written with
// go-containerregistry as an image tarball that `ctr images import`,
// `kind load image-archive` and `crane push` read.
package image

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"time"

	"github.com/cnibench/cnibench/internal/version"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Repository is where cnibench's image is published; DefaultRef tags it
// with this build's version.
const Repository = "ghcr.io/cnibench/cnibench"

// BinaryPath is where the image holds the binary, and its entrypoint.
const BinaryPath = "/cnibench"

// User is the image's unprivileged user (distroless's "nonroot").
const User = "65532:65532"

// DefaultRef is the image of this build: Repository tagged with its
// version ("devel" for a development build).
func DefaultRef() string {
	tag := regexp.MustCompile(`[^A-Za-z0-9_.-]`).ReplaceAllString(version.Get().Version, "-")
	if len(tag) > 128 {
		tag = tag[:128]
	}
	return Repository + ":" + tag
}

// Options say what to build.
type Options struct {
	Ref    string // image reference; "" = DefaultRef()
	Binary string // a static cnibench binary; "" = this executable if static, else built from Source
	Source string // module directory to build ./cmd/cnibench from with CGO_ENABLED=0; "" = the current directory
	Arch   string // GOARCH of a built binary; "" = runtime.GOARCH
}

// Build writes the image tarball to out and returns the reference it
// carries.
func Build(ctx context.Context, out string, o Options) (string, error) {
	if o.Ref == "" {
		o.Ref = DefaultRef()
	}
	if o.Arch == "" {
		o.Arch = runtime.GOARCH
	}
	tag, err := name.NewTag(o.Ref)
	if err != nil {
		return "", fmt.Errorf("image reference %q: %w", o.Ref, err)
	}
	bin := o.Binary
	if bin == "" {
		if exe, err := os.Executable(); err == nil && Static(exe) == nil && o.Arch == runtime.GOARCH {
			bin = exe
		} else {
			tmp, err := os.MkdirTemp("", "cnibench-image-")
			if err != nil {
				return "", err
			}
			defer os.RemoveAll(tmp)
			bin = filepath.Join(tmp, "cnibench")
			if err := buildBinary(ctx, o.Source, o.Arch, bin); err != nil {
				return "", err
			}
		}
	}
	if err := Static(bin); err != nil {
		return "", err
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	img, err := imageOf(data, o.Arch)
	if err != nil {
		return "", err
	}
	if err := tarball.WriteToFile(out, tag, img); err != nil {
		return "", fmt.Errorf("write image %s: %w", out, err)
	}
	return tag.String(), nil
}

// Static checks that bin is an ELF executable without a dynamic loader,
// so it runs in an image that holds nothing else.
func Static(bin string) error {
	f, err := elf.Open(bin)
	if err != nil {
		return fmt.Errorf("%s: %w", bin, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked: build it with CGO_ENABLED=0 go build ./cmd/cnibench", bin)
		}
	}
	return nil
}

// buildBinary builds ./cmd/cnibench of the module in dir, static.
func buildBinary(ctx context.Context, dir, arch, out string) error {
	if dir == "" {
		dir = "."
	}
	if _, err := os.Stat(filepath.Join(dir, "cmd", "cnibench")); err != nil {
		return fmt.Errorf("this cnibench is not static and %s holds no cmd/cnibench to build one from: "+
			"run in the repository or give --binary (CGO_ENABLED=0 go build ./cmd/cnibench)", dir)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, "./cmd/cnibench")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("CGO_ENABLED=0 go build ./cmd/cnibench: %w\n%s", err, b)
	}
	return nil
}

// imageOf is the one-layer image: /cnibench, an empty /tmp, the binary as
// entrypoint, run as an unprivileged user.
func imageOf(bin []byte, arch string) (v1.Image, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Unix(0, 0)
	hdrs := []*tar.Header{
		{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777, ModTime: mtime},
		{Name: BinaryPath[1:], Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin)), ModTime: mtime},
	}
	for _, h := range hdrs {
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(bin); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	if cf == nil {
		return nil, errors.New("empty image has no config")
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Config = v1.Config{
		Entrypoint: []string{BinaryPath},
		Env:        []string{"PATH=/"},
		User:       User,
		Labels: map[string]string{
			"org.opencontainers.image.title":    "cnibench",
			"org.opencontainers.image.version":  version.Get().Version,
			"org.opencontainers.image.revision": version.Get().Commit,
			"org.opencontainers.image.source":   "https://github.com/cnibench/cnibench",
		},
	}
	return mutate.ConfigFile(img, cf)
}
