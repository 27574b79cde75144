package cli

import (
	"fmt"

	"github.com/cnibench/cnibench/internal/version"
	"github.com/spf13/cobra"
)

func newVersionCommand(s Streams) *cobra.Command {
	var out *textOrJSON
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print cnibench's version, commit and Go version",
		Example: "  cnibench version\n  cnibench version -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			asJSON, err := out.asJSON()
			if err != nil {
				return err
			}
			v := version.Get()
			if asJSON {
				return writeJSON(s.Out, v)
			}
			_, err = fmt.Fprintf(s.Out, "cnibench %s\ncommit: %s\ngo: %s %s\n", v.Version, v.Commit, v.GoVersion, v.Platform)
			return err
		},
	}
	out = addTextOrJSONFlag(cmd, s)
	return cmd
}
