package cluster

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Image names. The .invalid domain never resolves: nothing can pull them,
// they exist only because the harness imports them into each node.
const (
	PauseImage = "cnibench.invalid/e2e/pause:1"
	AgentImage = "cnibench.invalid/e2e/agent:1"
	agentPath  = "/agent"
)

// imageEntry is one file, directory or symlink of an image's only layer.
type imageEntry struct {
	name  string // without the leading /
	data  []byte // a regular file's content
	mode  int64
	link  string // a symlink's target
	isDir bool
}

// writeImage writes a one-layer image with entries and entrypoint as an
// image archive that `ctr images import` reads.
func writeImage(out, ref string, entries []imageEntry, entrypoint, env []string) error {
	var layerTar bytes.Buffer
	tw := tar.NewWriter(&layerTar)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Typeflag: tar.TypeReg, Size: int64(len(e.data))}
		switch {
		case e.isDir:
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		case e.link != "":
			h.Typeflag, h.Linkname, h.Mode, h.Size = tar.TypeSymlink, e.link, 0o777, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(e.data); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	data := layerTar.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config = v1.Config{Entrypoint: entrypoint, Env: env}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return err
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		return err
	}
	if err := tarball.WriteToFile(out, tag, img); err != nil {
		return fmt.Errorf("write image %s: %w", ref, err)
	}
	return nil
}

// writeFlannelImage writes flannel's image: the static flanneld, and
// symlinks that make the host's /usr (mounted by the DaemonSet) usable for
// the iptables and nft that flanneld runs.
func writeFlannelImage(out, flanneld string) error {
	bin, err := os.ReadFile(flanneld)
	if err != nil {
		return err
	}
	entries := []imageEntry{
		{name: "opt/", isDir: true}, {name: "opt/bin/", isDir: true},
		{name: flanneldPath[1:], data: bin, mode: 0o755},
		{name: "usr/", isDir: true}, {name: "etc/", isDir: true}, {name: "run/", isDir: true}, {name: "tmp/", isDir: true},
		{name: "bin", link: "usr/bin"}, {name: "sbin", link: "usr/sbin"},
		{name: "lib", link: "usr/lib"}, {name: "lib64", link: "usr/lib64"},
	}
	return writeImage(out, FlannelImage, entries, []string{flanneldPath}, []string{"PATH=/opt/bin:/usr/sbin:/usr/bin"})
}

// writeImages writes the pause and agent images from the agent binary.
func writeImages(agentBin, pauseTar, agentTar string) error {
	bin, err := os.ReadFile(agentBin)
	if err != nil {
		return err
	}
	entries := []imageEntry{{name: agentPath[1:], data: bin, mode: 0o755}}
	if err := writeImage(pauseTar, PauseImage, entries, []string{agentPath, "pause"}, []string{"PATH=/"}); err != nil {
		return err
	}
	return writeImage(agentTar, AgentImage, entries, []string{agentPath}, []string{"PATH=/"})
}
