package cli

import (
	"fmt"

	"github.com/cnibench/cnibench/internal/report"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// meshKubeOptions are mesh's own flags for --cluster kube.
type meshKubeOptions struct {
	selector string
	maxNodes int
}

func addMeshKubeFlags(f *pflag.FlagSet) *meshKubeOptions {
	k := &meshKubeOptions{}
	forCluster(f, "kube", func(f *pflag.FlagSet) {
		f.StringVar(&k.selector, "node-selector", "", "kube: measure the nodes with these labels, like kubectl's -l (default: every Ready, schedulable node)")
		f.IntVar(&k.maxNodes, "max-nodes", 0, "kube: measure at most this many nodes (by name; 0 = all)")
	})
	return k
}

func meshKube(cmd *cobra.Command, s Streams, o meshOptions, format report.Format, id string) error {
	return fmt.Errorf("--cluster kube: not yet")
}
