package cli

import (
	"errors"
	"fmt"

	"github.com/cnibench/cnibench/internal/image"
	"github.com/spf13/cobra"
)

// imageOptions are the flags of `cnibench image build`.
type imageOptions struct {
	output string
	ref    string
	binary string
	source string
	arch   string
}

func newImageCommand(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Build cnibench's container image (for --cluster kube) without Docker",
		Args:  cobra.NoArgs,
	}
	o := imageOptions{}
	build := &cobra.Command{
		Use:   "build -o cnibench.tar",
		Short: "Write cnibench's image as a tarball: the static binary in one layer",
		Long: `Write cnibench's container image as an image tarball, without Docker: one
layer holding the static cnibench binary (this executable when it is static,
else ./cmd/cnibench built with CGO_ENABLED=0 from the repository in the
current directory), entrypoint /cnibench, user 65532.

Load it where the cluster's nodes can use it:
  ctr -n k8s.io images import cnibench.tar     # on each node (containerd)
  kind load image-archive cnibench.tar         # kind
  crane push cnibench.tar REGISTRY/cnibench:TAG  # a registry`,
		Example: `  cnibench image build -o cnibench.tar
  cnibench image build -o cnibench.tar --tag registry.example.com/cnibench:v1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.output == "" {
				return errors.New("-o FILE is required: where to write the image tarball")
			}
			ref, err := image.Build(cmd.Context(), o.output, image.Options{Ref: o.ref, Binary: o.binary, Source: o.source, Arch: o.arch})
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Err, "wrote %s (%s)\n", o.output, ref)
			return nil
		},
	}
	f := build.Flags()
	f.StringVarP(&o.output, "output", "o", "", "the image tarball to write")
	f.StringVarP(&o.ref, "tag", "t", "", "image reference (default "+image.DefaultRef()+", the --image default of run --cluster kube)")
	f.StringVar(&o.binary, "binary", "", "a static cnibench binary to pack (default: this one if static, else built)")
	f.StringVar(&o.source, "source", "", "the repository to build ./cmd/cnibench from (default: the current directory)")
	f.StringVar(&o.arch, "arch", "", "GOARCH of the image (default: this machine's)")
	cmd.AddCommand(build)
	return cmd
}
