package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// clusters are the --cluster values, in the order --help shows their flags.
var clusters = []string{"lab", "kube"}

// clusterAnnotation marks a flag that applies to one --cluster only; its
// value is that cluster.
const clusterAnnotation = "cnibench.io/cluster"

// forCluster adds the flags that add adds to f, each marked as applying
// to cluster only: checkClusterFlags refuses them with another cluster,
// and --help shows them apart.
func forCluster(f *pflag.FlagSet, cluster string, add func(*pflag.FlagSet)) {
	sub := pflag.NewFlagSet(cluster, pflag.ContinueOnError)
	add(sub)
	sub.VisitAll(func(fl *pflag.Flag) {
		if fl.Annotations == nil {
			fl.Annotations = map[string][]string{}
		}
		fl.Annotations[clusterAnnotation] = []string{cluster}
	})
	f.AddFlagSet(sub)
}

// flagCluster is the cluster fl applies to, "" = any.
func flagCluster(fl *pflag.Flag) string {
	if c := fl.Annotations[clusterAnnotation]; len(c) > 0 {
		return c[0]
	}
	return ""
}

// checkClusterFlags refuses each flag given that applies to another
// cluster than the one --cluster names, with the fix: a flag silently
// ignored would measure something else than asked.
func checkClusterFlags(f *pflag.FlagSet, cluster string) error {
	flag := f.Lookup("cluster")
	var errs []error
	f.Visit(func(fl *pflag.Flag) {
		want := flagCluster(fl)
		if want == "" || want == cluster {
			return
		}
		fix := "add --cluster " + want
		switch {
		case want == flag.DefValue:
			fix = "drop --cluster " + cluster + " (" + want + " is the default)"
		case flag.Changed:
			fix = "use --cluster " + want + " instead of --cluster " + cluster
		}
		errs = append(errs, fmt.Errorf("--%s applies to --cluster %s; %s, or drop --%s", fl.Name, want, fix, fl.Name))
	})
	return errors.Join(errs...)
}

func init() {
	cobra.AddTemplateFunc("clusterFlags", clusterFlagUsages)
	cobra.AddTemplateFunc("flagClusters", flagClusters)
}

// clusterFlagUsages is the usage of the flags of fs that apply to cluster
// only ("" = to any).
func clusterFlagUsages(fs *pflag.FlagSet, cluster string) string {
	sub := pflag.NewFlagSet(cluster, pflag.ContinueOnError)
	fs.VisitAll(func(fl *pflag.Flag) {
		if flagCluster(fl) == cluster {
			sub.AddFlag(fl)
		}
	})
	return sub.FlagUsages()
}

// flagClusters are the clusters that some flag of fs applies to only.
func flagClusters(fs *pflag.FlagSet) []string {
	var cs []string
	for _, c := range clusters {
		if strings.TrimSpace(clusterFlagUsages(fs, c)) != "" {
			cs = append(cs, c)
		}
	}
	return cs
}

// groupClusterFlags makes cmd's --help list the flags of each cluster
// after the others, under a heading of their own.
func groupClusterFlags(cmd *cobra.Command) {
	const flags = "{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}"
	t := cmd.UsageTemplate()
	if !strings.Contains(t, flags) {
		return // another template: flags stay in one list
	}
	cmd.SetUsageTemplate(strings.Replace(t, flags, `{{clusterFlags .LocalFlags "" | trimTrailingWhitespaces}}`+
		`{{range $c := flagClusters $.LocalFlags}}

Flags for --cluster {{$c}}:
{{clusterFlags $.LocalFlags $c | trimTrailingWhitespaces}}{{end}}`, 1))
}
