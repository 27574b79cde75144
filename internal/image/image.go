// Package image builds cnibench's container image without Docker: one
// layer holding the static cnibench binary, with go-containerregistry.
// Build writes it as an image tarball that `ctr images import`, `kind load
// image-archive` and `crane push` read; Push sends it to a registry, for
// several arches as one index.
package image

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/version"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
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

// Release reports whether this build is a release (vX.Y.Z, maybe with a
// pre-release suffix), whose DefaultRef a release publishes. A development
// build's ("devel", a pseudo-version, "+dirty") is published by nobody.
func Release() bool { return release(version.Get().Version) }

func release(v string) bool {
	return releaseVersion.MatchString(v) && !pseudoVersion.MatchString(v)
}

var (
	releaseVersion = regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
	pseudoVersion  = regexp.MustCompile(`\d{14}-[0-9a-f]{12}$`)
)

// Options say what to build, and where to push it.
type Options struct {
	Ref string // image reference; "" = DefaultRef()
	// Binary is a static cnibench binary to pack, for one arch; "" = this
	// executable where it is static and of that arch, else built from Source.
	Binary string
	Source string   // module directory to build ./cmd/cnibench from with CGO_ENABLED=0; "" = the current directory
	Arches []string // GOARCHes, one image each; empty = runtime.GOARCH. Build writes one, Push one or an index.
	// Insecure lets Push talk plain HTTP to the registry (a local one);
	// loopback and private addresses may already without it.
	Insecure bool
}

// withDefaults fills in Ref and Arches and checks the arches.
func (o Options) withDefaults() (Options, error) {
	if o.Ref == "" {
		o.Ref = DefaultRef()
	}
	if len(o.Arches) == 0 {
		o.Arches = []string{runtime.GOARCH}
	}
	var arches []string
	for _, a := range o.Arches {
		if _, ok := elfMachines[a]; !ok {
			return o, fmt.Errorf("unknown arch %q: use GOARCH names, e.g. amd64,arm64 (known: %s)", a, knownArches())
		}
		if !slices.Contains(arches, a) {
			arches = append(arches, a)
		}
	}
	o.Arches = arches
	if o.Binary != "" && len(o.Arches) > 1 {
		return o, fmt.Errorf("a --binary is of one arch, not %s: leave it out to build one per arch", strings.Join(o.Arches, ","))
	}
	return o, nil
}

// reference parses o.Ref, a tag ("latest" when none is given).
func (o Options) reference() (name.Tag, error) {
	var opts []name.Option
	if o.Insecure {
		opts = append(opts, name.Insecure)
	}
	tag, err := name.NewTag(o.Ref, opts...)
	if err != nil {
		return name.Tag{}, fmt.Errorf("image reference %q: %w", o.Ref, err)
	}
	return tag, nil
}

// Build writes the image tarball (one arch) to out and returns the
// reference it carries.
func Build(ctx context.Context, out string, o Options) (string, error) {
	o, err := o.withDefaults()
	if err != nil {
		return "", err
	}
	if len(o.Arches) != 1 {
		return "", fmt.Errorf("an image tarball holds one arch, not %s: build one per arch, or push them as one multi-arch image with cnibench image push", strings.Join(o.Arches, ","))
	}
	tag, err := o.reference()
	if err != nil {
		return "", err
	}
	imgs, err := images(ctx, o)
	if err != nil {
		return "", err
	}
	if err := tarball.WriteToFile(out, tag, imgs[0]); err != nil {
		return "", fmt.Errorf("write image %s: %w", out, err)
	}
	return tag.String(), nil
}

// Pushed is what Push pushed.
type Pushed struct {
	Ref    name.Digest // the repository at the pushed digest
	Tag    name.Tag
	Arches []string // one: an image; more: an index of an image per arch
}

// Push builds the image of each of o.Arches and pushes it to o.Ref with
// the credentials of ~/.docker/config.json (docker login, crane auth
// login): one arch as an image, more as an index (manifest list) with
// each image's platform.
func Push(ctx context.Context, o Options) (Pushed, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Pushed{}, err
	}
	tag, err := o.reference()
	if err != nil {
		return Pushed{}, err
	}
	imgs, err := images(ctx, o)
	if err != nil {
		return Pushed{}, err
	}
	var t interface {
		remote.Taggable
		Digest() (v1.Hash, error)
	} = imgs[0]
	if len(imgs) > 1 {
		t = index(imgs, o.Arches)
	}
	digest, err := t.Digest()
	if err != nil {
		return Pushed{}, err
	}
	if err := remote.Push(tag, t, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithUserAgent("cnibench/"+version.Get().Version)); err != nil {
		return Pushed{}, fmt.Errorf("push %s: %w", tag, err)
	}
	return Pushed{Ref: tag.Digest(digest.String()), Tag: tag, Arches: o.Arches}, nil
}

// index is the manifest list of imgs, each with its platform.
func index(imgs []v1.Image, arches []string) v1.ImageIndex {
	adds := make([]mutate.IndexAddendum, len(imgs))
	for i, img := range imgs {
		adds[i] = mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "linux", Architecture: arches[i]},
		}}
	}
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.DockerManifestList), adds...)
}

// images builds the image of each of o.Arches (o with defaults), in
// order: the binary given, this executable if it fits, else one built
// from o.Source.
func images(ctx context.Context, o Options) ([]v1.Image, error) {
	tmp, err := os.MkdirTemp("", "cnibench-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	var imgs []v1.Image
	for _, arch := range o.Arches {
		bin := o.Binary
		if bin == "" {
			if exe, err := os.Executable(); err == nil && arch == runtime.GOARCH && Static(exe) == nil {
				bin = exe
			} else {
				bin = filepath.Join(tmp, "cnibench-"+arch)
				if err := buildBinary(ctx, o.Source, arch, bin); err != nil {
					return nil, err
				}
			}
		}
		if err := checkBinary(bin, arch); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(bin)
		if err != nil {
			return nil, err
		}
		img, err := imageOf(data, arch)
		if err != nil {
			return nil, err
		}
		imgs = append(imgs, img)
	}
	return imgs, nil
}

// elfMachines are the arches an image can be built for, with the ELF
// machine of their binaries.
var elfMachines = map[string]elf.Machine{
	"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64, "arm": elf.EM_ARM, "386": elf.EM_386,
	"ppc64le": elf.EM_PPC64, "s390x": elf.EM_S390, "riscv64": elf.EM_RISCV, "loong64": elf.EM_LOONGARCH,
}

func knownArches() string {
	return strings.Join(slices.Sorted(maps.Keys(elfMachines)), ",")
}

// Static checks that bin is an ELF executable without a dynamic loader,
// so it runs in an image that holds nothing else.
func Static(bin string) error { return checkBinary(bin, "") }

// checkBinary checks that bin is static and, unless arch is "", runs on
// arch: no image says one platform and holds another's binary.
func checkBinary(bin, arch string) error {
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
	if m, ok := elfMachines[arch]; ok && f.Machine != m {
		return fmt.Errorf("%s is a %s binary, not %s: give the --arch it is built for", bin, f.Machine, arch)
	}
	return nil
}

// versionPackage is where the version is set at link time.
const versionPackage = "github.com/cnibench/cnibench/internal/version"

// buildBinary builds ./cmd/cnibench of the module in dir, static.
func buildBinary(ctx context.Context, dir, arch, out string) error {
	if dir == "" {
		dir = "."
	}
	if _, err := os.Stat(filepath.Join(dir, "cmd", "cnibench")); err != nil {
		return fmt.Errorf("a static cnibench for linux/%s has to be built and %s holds no cmd/cnibench to build it from: "+
			"run in the repository (or give --source), or give --binary (CGO_ENABLED=0 GOARCH=%s go build ./cmd/cnibench)", arch, dir, arch)
	}
	if b, err := goBuild(ctx, dir, arch, out).CombinedOutput(); err != nil {
		return fmt.Errorf("CGO_ENABLED=0 GOARCH=%s go build ./cmd/cnibench: %w\n%s", arch, err, b)
	}
	return nil
}

// goBuild is the command that builds ./cmd/cnibench in dir, static, for
// linux/arch. A release's cnibench (its version set at link time) builds
// every arch as the same release, as its image's tag and labels say.
func goBuild(ctx context.Context, dir, arch, out string) *exec.Cmd {
	args := []string{"build", "-trimpath"}
	if version.Version != "" {
		args = append(args, "-ldflags", fmt.Sprintf("-X %[1]s.Version=%[2]s -X %[1]s.Commit=%[3]s",
			versionPackage, version.Version, version.Get().Commit))
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "-o", out, "./cmd/cnibench")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	return cmd
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
