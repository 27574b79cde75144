package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// DefaultAPITimeout is Config.APITimeout's default: how long a call waits
// for an API server that went away (a restart, a leader change) to answer
// again.
const DefaultAPITimeout = 60 * time.Second

// callAPI calls fn until it succeeds, fails for a reason of its own, or
// the API server has been unreachable for APITimeout; it returns how long
// it waited. A connection refused, reset or cut, a timeout and the
// API server's "unavailable" answers are worth waiting out.
func (c *Cluster) callAPI(ctx context.Context, what string, fn func(context.Context) error) (time.Duration, error) {
	start := time.Now()
	wait := 250 * time.Millisecond
	for {
		err := fn(ctx)
		if err == nil || !apiAway(err) || ctx.Err() != nil {
			return time.Since(start), err
		}
		if time.Since(start) >= c.cfg.APITimeout {
			return time.Since(start), fmt.Errorf("%s: the Kubernetes API server has not answered for %v (is it running? kubectl get --raw /readyz): %w",
				what, c.cfg.APITimeout, err)
		}
		c.cfg.Logger.Warn("API server unreachable, retrying", "call", what, "err", err)
		select {
		case <-ctx.Done():
			return time.Since(start), ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// apiAway reports whether err says the API server could not be reached
// or is not serving yet, rather than refusing the request.
func apiAway(err error) bool {
	var ne net.Error
	switch {
	case utilnet.IsConnectionRefused(err), utilnet.IsConnectionReset(err), utilnet.IsProbableEOF(err),
		utilnet.IsHTTP2ConnectionLost(err), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case apierrors.IsServiceUnavailable(err), apierrors.IsServerTimeout(err), apierrors.IsTimeout(err), apierrors.IsTooManyRequests(err):
		return true
	case errors.As(err, &ne) && ne.Timeout():
		return true
	}
	return false
}
