package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// textOrJSON is the -o flag of commands that print either for people or
// as JSON (version, lab status), like -o everywhere else. --json, the
// older spelling, still works: hidden, with a deprecation note.
type textOrJSON struct {
	format string
	json   bool
}

// textOrJSONFormats are the values of such a -o, the first the default.
var textOrJSONFormats = []string{"text", "json"}

func addTextOrJSONFlag(cmd *cobra.Command, s Streams) *textOrJSON {
	o := &textOrJSON{}
	f := cmd.Flags()
	f.StringVarP(&o.format, "output", "o", textOrJSONFormats[0], "output format: text or json")
	f.BoolVar(&o.json, "json", false, "print as JSON")
	deprecateFlag(cmd, s, "json", "use -o json")
	_ = cmd.RegisterFlagCompletionFunc("output", fixed(textOrJSONFormats...))
	return o
}

// asJSON reports whether JSON was asked for; an unknown format is an error
// naming the accepted ones.
func (o *textOrJSON) asJSON() (bool, error) {
	switch o.format {
	case "json":
		return true, nil
	case "text", "":
		return o.json, nil
	}
	return false, fmt.Errorf("-o %s: use -o text or -o json", o.format)
}

// writeJSON prints v indented, as every JSON output of cnibench does.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// deprecateFlag hides a flag kept for old scripts and, when it is used,
// says what replaces it on stderr (pflag's own note goes to the command's
// stdout, into output a script may parse).
func deprecateFlag(cmd *cobra.Command, s Streams, name, instead string) {
	_ = cmd.Flags().MarkHidden(name)
	prev := cmd.PreRun
	cmd.PreRun = func(c *cobra.Command, args []string) {
		if c.Flags().Changed(name) {
			fmt.Fprintf(s.Err, "cnibench: --%s is deprecated: %s\n", name, instead)
		}
		if prev != nil {
			prev(c, args)
		}
	}
}
