package engine

import (
	"context"
	"testing"
	"time"
)

// TestBoundedTestCountsEveryByte: a -n test sends its bytes and no block
// more, its receiver (our server) counts every one although TEST_END can
// overtake the data, and its measured time ends at the last byte, not
// after the drain's idle wait. Before the drain, 1 MiB on loopback left the receiver at 0
// bytes in about one run in ten (iperf3 3.12 does the same).
func TestBoundedTestCountsEveryByte(t *testing.T) {
	addr := startServer(t, &Server{Logger: testLogger(t)})
	const runs, size = 60, 1 << 20
	for i := range runs {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := (&Client{}).Run(ctx, addr, Spec{Bytes: size})
		cancel()
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if sent, got := res.SumSent.Bytes, res.SumReceived.Bytes; sent != size || got != size {
			t.Fatalf("run %d: sent %d bytes, the receiver counted %d; want %d both", i, sent, got, size)
		}
		// The receiver's time ends at its last byte, which trails the
		// sender's end by far less than the idle wait; the wait included
		// would add all of it. (Comparing with the sender, not with a
		// fixed time, keeps a descheduled transfer on a loaded machine
		// from failing the test.)
		if r, s := res.SumReceived.Seconds, res.SumSent.Seconds; r-s >= drainIdle.Seconds() {
			t.Fatalf("run %d: the receiver measured %.3f s, the sender %.3f s: the drain's idle wait included", i, r, s)
		}
	}
}
