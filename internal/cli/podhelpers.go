package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/spf13/cobra"
)

// The hidden commands below run inside the kube backend's pods, whose
// image holds nothing but the cnibench binary: no shell, no sleep, no nc.

// newIdleCommand is the hidden `cnibench idle`: it waits until the pod is
// stopped. With --server-image the cnibench container has nothing to
// serve; it only stays up for the client and netinfo to be exec'd in.
func newIdleCommand(Streams) *cobra.Command {
	return &cobra.Command{
		Use:     "idle",
		Short:   "Wait until SIGTERM or SIGINT (the kube backend's exec container)",
		Example: "  cnibench idle",
		Hidden:  true,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			<-cmd.Context().Done()
			return nil
		},
	}
}

// newProbeCommand is the hidden `cnibench probe`: it connects over TCP to
// each address until every one has answered once, so the kube backend
// knows that kube-proxy has programmed a Service on this pod's node
// before it measures through it, instead of guessing a delay.
func newProbeCommand(s Streams) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:     "probe ADDR:PORT...",
		Short:   "Wait until every ADDR:PORT accepts a TCP connection (for the kube backend)",
		Example: "  cnibench probe --timeout 30s 198.18.128.10:5201 198.18.0.2:31234",
		Hidden:  true,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var addrs []netip.AddrPort
			for _, a := range args {
				ap, err := netip.ParseAddrPort(a)
				if err != nil {
					return fmt.Errorf("probe %q: want ADDR:PORT, e.g. 198.18.128.10:5201", a)
				}
				addrs = append(addrs, ap)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return probeAll(ctx, s, addrs)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "give up after this long")
	return cmd
}

// probeInterval is the pause between two attempts at one address.
const probeInterval = 100 * time.Millisecond

// probeAll dials every address until it connects once or ctx ends, and
// reports each address's wait.
func probeAll(ctx context.Context, s Streams, addrs []netip.AddrPort) error {
	start := time.Now()
	errs := make([]error, len(addrs))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, a := range addrs {
		wg.Go(func() {
			err := probe(ctx, a)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[i] = fmt.Errorf("%s: not reachable after %v: %w", a, time.Since(start).Round(time.Millisecond), err)
				return
			}
			fmt.Fprintf(s.Out, "%s reachable after %v\n", a, time.Since(start).Round(time.Millisecond))
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// probe dials a until it connects once; it returns the last dial error
// when ctx ends first.
func probe(ctx context.Context, a netip.AddrPort) error {
	d := net.Dialer{Timeout: time.Second}
	for {
		c, err := d.DialContext(ctx, "tcp", a.String())
		if err == nil {
			return c.Close()
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(probeInterval):
		}
	}
}
