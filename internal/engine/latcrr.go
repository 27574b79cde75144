package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// crrGiveUp is how many crr transactions in a row may fail before the test
// stops with the last error: the server or the path is gone.
const crrGiveUp = 50

// runCRR checks the peer once with an acked hello, then makes a connection
// per transaction: connect, hello and request in one write, response, and
// the server's close. Latency runs from connect to the response's last byte.
// Each worker runs inside Network.Do for its whole life, so its sockets are
// created in the client's namespace without entering it per connection.
func (lt *latencyTest) runCRR(ctx context.Context) error {
	check, _, err := lt.hello(ctx, CRR)
	if err != nil {
		return err
	}
	lt.res.Local, lt.res.Remote = check.LocalAddr().String(), check.RemoteAddr().String()
	check.Close()
	msg := lt.helloFor(CRR, false).append(nil)
	msg = append(msg, make([]byte, lt.spec.RequestSize)...)
	newWorker := func(h *hdrhistogram.Histogram) *crrWorker {
		return &crrWorker{lt: lt, msg: msg, resp: make([]byte, min(lt.spec.ResponseSize, 64<<10)), hist: h}
	}
	start := lt.begin(nil)
	if lt.spec.Rate == 0 {
		w := newWorker(lt.hist)
		end := lt.deadline(start)
		err := lt.c.network().Do(func() error {
			for n := int64(0); lt.more(n, time.Now(), end); n++ {
				if err := w.transact(ctx, time.Now()); err != nil {
					return err
				}
			}
			return nil
		})
		lt.res.Errors = w.errors
		lt.finish(w.last)
		return err
	}
	return lt.crrOpenLoop(ctx, start, newWorker)
}

// crrOpenLoop hands intended start times to MaxOutstanding workers; when
// all are busy, the schedule waits and the delay counts as latency.
func (lt *latencyTest) crrOpenLoop(ctx context.Context, start time.Time, newWorker func(*hdrhistogram.Histogram) *crrWorker) error {
	due := make(chan time.Time)
	stop := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	workers := make([]*crrWorker, lt.spec.MaxOutstanding)
	errs := make([]error, len(workers))
	for i := range workers {
		workers[i] = newWorker(newLatencyHistogram())
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = lt.c.network().Do(func() error {
				for t0 := range due {
					if err := workers[i].transact(ctx, t0); err != nil {
						once.Do(func() { close(stop) })
						return err
					}
				}
				return nil
			})
		}()
	}
	_ = lt.schedule(start, func(t time.Time) error {
		select {
		case due <- t:
			return nil
		case <-stop:
			return errStopped
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(due)
	wg.Wait()
	last := start
	for _, w := range workers {
		lt.hist.Merge(w.hist)
		lt.res.Errors += w.errors
		if w.last.After(last) {
			last = w.last
		}
	}
	lt.finish(last)
	return errors.Join(errs...)
}

// crrWorker makes crr transactions one after the other.
type crrWorker struct {
	lt      *latencyTest
	msg     []byte // hello and request
	resp    []byte
	hist    *hdrhistogram.Histogram
	errors  int64
	inARow  int
	last    time.Time // end of the last completed transaction
	oneByte [1]byte
}

// transact runs one transaction timed from t0; a failure is counted, and
// returned only when crrGiveUp failed in a row or ctx ended.
func (w *crrWorker) transact(ctx context.Context, t0 time.Time) error {
	err := w.once(ctx, t0)
	if err == nil {
		w.inARow = 0
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	w.errors++
	if w.inARow++; w.inARow >= crrGiveUp {
		return fmt.Errorf("%d transactions in a row failed, the last: %w", w.inARow, err)
	}
	return nil
}

func (w *crrWorker) once(ctx context.Context, t0 time.Time) error {
	spec := w.lt.spec
	d := net.Dialer{Deadline: t0.Add(spec.Timeout)}
	conn, err := d.DialContext(ctx, dialNetwork("tcp", spec.Family), w.lt.address)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(t0.Add(spec.Timeout))
	if _, err := conn.Write(w.msg); err != nil {
		return fmt.Errorf("send request: %w", err)
	}
	if err := readN(conn, w.resp, spec.ResponseSize); err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	w.last = time.Now()
	record(w.hist, w.last.Sub(t0))
	// Wait for the server's close, so the TIME_WAIT state is its own and
	// this side's ports are free for the next transactions at once.
	_, _ = conn.Read(w.oneByte[:])
	return nil
}
