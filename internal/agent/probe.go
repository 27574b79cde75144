package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// probeInterval is the pause between two attempts at one address.
const probeInterval = 100 * time.Millisecond

// ParseProbeAddrs reads probe's arguments, ADDR:PORT each.
func ParseProbeAddrs(args []string) ([]netip.AddrPort, error) {
	var addrs []netip.AddrPort
	for _, a := range args {
		ap, err := netip.ParseAddrPort(a)
		if err != nil {
			return nil, fmt.Errorf("probe %q: want ADDR:PORT, e.g. 198.18.128.10:5201", a)
		}
		addrs = append(addrs, ap)
	}
	return addrs, nil
}

// ProbeAll dials every address until it connects once or ctx ends, and
// writes each address's wait to w. The backend runs it in a pod so that
// it knows kube-proxy has programmed a Service on the pod's node before
// it measures through it, instead of guessing a delay.
func ProbeAll(ctx context.Context, w io.Writer, addrs []netip.AddrPort) error {
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
			fmt.Fprintf(w, "%s reachable after %v\n", a, time.Since(start).Round(time.Millisecond))
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
