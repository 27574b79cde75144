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

// writeImage writes a one-layer image holding the static binary bin at
// agentPath, with entrypoint, as an image archive that `ctr images import`
// reads.
func writeImage(out, ref string, bin []byte, entrypoint []string) error {
	var layerTar bytes.Buffer
	tw := tar.NewWriter(&layerTar)
	if err := tw.WriteHeader(&tar.Header{Name: agentPath[1:], Mode: 0o755, Size: int64(len(bin)), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := tw.Write(bin); err != nil {
		return err
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
	cf.Config = v1.Config{Entrypoint: entrypoint, Env: []string{"PATH=/"}}
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

// writeImages writes the pause and agent images from the agent binary.
func writeImages(agentBin, pauseTar, agentTar string) error {
	bin, err := os.ReadFile(agentBin)
	if err != nil {
		return err
	}
	if err := writeImage(pauseTar, PauseImage, bin, []string{agentPath, "pause"}); err != nil {
		return err
	}
	return writeImage(agentTar, AgentImage, bin, []string{agentPath})
}
