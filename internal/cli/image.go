package cli

import (
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/cnibench/cnibench/internal/image"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// imageOptions are the flags of `cnibench image build` and `image push`.
type imageOptions struct {
	output   string
	ref      string
	binary   string
	source   string
	arches   []string
	insecure bool
}

func (o imageOptions) options() image.Options {
	return image.Options{Ref: o.ref, Binary: o.binary, Source: o.source, Arches: o.arches, Insecure: o.insecure}
}

// addFlags adds the flags that say what to build, build's and push's.
func (o *imageOptions) addFlags(f *pflag.FlagSet, arch string) {
	f.StringVar(&o.binary, "binary", "", "a static cnibench binary to pack, of the one --arch (default: this one if static, else built)")
	f.StringVar(&o.source, "source", "", "the repository to build ./cmd/cnibench from (default: the current directory)")
	f.StringSliceVar(&o.arches, "arch", nil, arch+" (default: this machine's, "+runtime.GOARCH+")")
}

func newImageCommand(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Build cnibench's container image (for --cluster kube) without Docker, or push it",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newImageBuildCommand(s), newImagePushCommand(s))
	return cmd
}

func newImageBuildCommand(s Streams) *cobra.Command {
	o := imageOptions{}
	build := &cobra.Command{
		Use:   "build --file cnibench.tar",
		Short: "Write cnibench's image as a tarball: the static binary in one layer",
		Long: `Write cnibench's container image as an image tarball, without Docker: one
layer holding the static cnibench binary (this executable when it is static,
else ./cmd/cnibench built with CGO_ENABLED=0 from the repository in the
current directory), entrypoint /cnibench, user 65532.

Load it where the cluster's nodes can use it:
  ctr -n k8s.io images import cnibench.tar     # on each node (containerd)
  kind load image-archive cnibench.tar         # kind
  crane push cnibench.tar REGISTRY/cnibench:TAG  # a registry (or: cnibench image push)`,
		Example: `  cnibench image build --file cnibench.tar
  cnibench image build --file cnibench.tar --tag registry.example.com/cnibench:v1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.output == "" {
				return errors.New("--file FILE is required: where to write the image tarball")
			}
			ref, err := image.Build(cmd.Context(), o.output, o.options())
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Err, "wrote %s (%s)\n", o.output, ref)
			return nil
		},
	}
	f := build.Flags()
	f.StringVar(&o.output, "file", "", "the image tarball to write")
	// -o FILE, the first spelling: -o is an output format everywhere else.
	f.StringVarP(&o.output, "output", "o", "", "the image tarball to write")
	deprecateFlag(build, s, "output", "use --file FILE (-o is an output format in every other command)")
	_ = build.MarkFlagFilename("file", "tar")
	f.StringVarP(&o.ref, "tag", "t", "", "image reference (default "+image.DefaultRef()+", the --image default of run --cluster kube)")
	o.addFlags(f, "GOARCH of the image")
	return build
}

func newImagePushCommand(s Streams) *cobra.Command {
	o := imageOptions{}
	push := &cobra.Command{
		Use:   "push [REF]",
		Short: "Build cnibench's image and push it to a registry, for one arch or several as one index",
		Long: `Build cnibench's image as "image build" does and push it to a registry,
without Docker. REF defaults to ` + image.DefaultRef() + `, the --image
default of run --cluster kube.

Credentials come from ~/.docker/config.json ($DOCKER_CONFIG), so
"docker login" and "crane auth login" work, credential helpers included.

With one --arch (default: this machine's) REF is an image; with several,
REF is an image index (a manifest list) with one image per arch and its
platform (linux/ARCH), each binary built from the repository in the current
directory (--source) with CGO_ENABLED=0 GOARCH=ARCH.

--insecure talks plain HTTP to the registry, for a local one without TLS
(127.0.0.1, localhost and private addresses get plain HTTP without it). The
pushed digest goes to stdout as REPOSITORY@sha256:...`,
		Example: `  # a local registry, e.g. docker run -d -p 5000:5000 registry:2
  cnibench image push localhost:5000/cnibench:dev
  cnibench run --cluster kube --image localhost:5000/cnibench:dev

  # a release, both arches as one index (docs/release.md)
  cnibench image push ghcr.io/cnibench/cnibench:v0.1.0 --arch amd64,arm64

  # a registry on a name without TLS
  cnibench image push registry.lab:5000/cnibench:dev --insecure`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.ref = args[0]
			}
			p, err := image.Push(cmd.Context(), o.options())
			if err != nil {
				return err
			}
			what := "image linux/" + p.Arches[0]
			if len(p.Arches) > 1 {
				what = "index of linux/" + strings.Join(p.Arches, ", linux/")
			}
			fmt.Fprintf(s.Err, "pushed %s (%s)\n", p.Tag, what)
			fmt.Fprintln(s.Out, p.Ref)
			return nil
		},
	}
	f := push.Flags()
	f.BoolVar(&o.insecure, "insecure", false, "plain HTTP to the registry (a local one without TLS)")
	o.addFlags(f, "GOARCHes, a list like amd64,arm64: more than one pushes an image index")
	return push
}
