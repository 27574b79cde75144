package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"sync"

	"github.com/cnibench/cnibench/internal/cluster/kube"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/spf13/cobra"
)

// specFromJSON reads the hidden --spec-json: a whole engine.Spec.
func specFromJSON(s string) (engine.Spec, error) {
	var sp engine.Spec
	if err := json.Unmarshal([]byte(s), &sp); err != nil {
		return sp, fmt.Errorf("--spec-json: %w", err)
	}
	return sp.Normalize()
}

// runClientLines runs the test and prints kube.ClientLine JSON lines:
// each interval as it ends, then the result or the error. The kube
// backend runs this by exec in a pod and reads the lines back.
func runClientLines(ctx context.Context, s Streams, addr string, sp engine.Spec) error {
	var mu sync.Mutex
	enc := json.NewEncoder(s.Out)
	emit := func(l kube.ClientLine) error {
		mu.Lock()
		defer mu.Unlock()
		return enc.Encode(l)
	}
	c := &engine.Client{OnInterval: func(iv engine.Interval) { _ = emit(kube.ClientLine{Interval: &iv}) }}
	res, err := c.Run(ctx, addr, sp)
	if err != nil {
		_ = emit(kube.ClientLine{Error: err.Error()})
		return err
	}
	return emit(kube.ClientLine{Result: res})
}

// newNetinfoCommand is the hidden `cnibench netinfo`: the interfaces, their
// MTUs and addresses as JSON, read inside pods whose image has no shell.
func newNetinfoCommand(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:     "netinfo",
		Short:   "Print network interfaces, MTUs and addresses as JSON (for the kube backend)",
		Example: "  cnibench netinfo",
		Hidden:  true,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ifs, err := net.Interfaces()
			if err != nil {
				return err
			}
			out := []kube.NetInterface{}
			for _, i := range ifs {
				ni := kube.NetInterface{Name: i.Name, MTU: i.MTU, Up: i.Flags&net.FlagUp != 0}
				addrs, _ := i.Addrs()
				for _, a := range addrs {
					ni.Addrs = append(ni.Addrs, a.String())
				}
				out = append(out, ni)
			}
			sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
			b, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(s.Out, "%s\n", b)
			return err
		},
	}
}
