package engine

import (
	"context"
	"errors"

	"github.com/cnibench/cnibench/internal/ratesearch"
)

// UDPTrials lives here, not in ratesearch: the search is a building block
// that takes plain functions, and this is the engine's function for it.

// UnboundedUDPRate is the engine rate an unbounded trial asks for: more
// than any host sends, so the sender's pacer never waits.
const UnboundedUDPRate = 1e12

// RunUDP runs one engine test (a cluster's RunClient between two endpoints).
type RunUDP func(ctx context.Context, spec Spec) (*Result, error)

// UDPTrials makes a TrialFunc of engine UDP tests like spec, each at the
// rate the search asks (0: unbounded). A trial whose receiver got nothing
// lost everything.
func UDPTrials(run RunUDP, spec Spec) ratesearch.TrialFunc {
	return func(ctx context.Context, bps float64) (ratesearch.Trial, error) {
		sp := spec
		sp.Protocol, sp.Rate = UDP, uint64(bps)
		if bps == 0 {
			sp.Rate = UnboundedUDPRate
		}
		out, err := run(ctx, sp)
		if err != nil {
			return ratesearch.Trial{}, err
		}
		if out == nil {
			return ratesearch.Trial{}, errors.New("the test returned no result")
		}
		rcv := out.SumReceived
		loss := 1.0
		if rcv.Packets > 0 {
			loss = float64(rcv.LostPackets) / float64(rcv.Packets)
		}
		return ratesearch.Trial{SentBps: out.SumSent.BitsPerSecond, ReceivedBps: rcv.BitsPerSecond, Loss: loss, JitterMs: rcv.JitterMs, Packets: rcv.Packets}, nil
	}
}
