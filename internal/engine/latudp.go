package engine

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// runUDPRR sets the test up over TCP (the acked hello also tells a stock
// iperf3 apart; its ack carries the token the datagrams carry), then sends
// request datagrams to the server's UDP side of the same port from one
// goroutine and reads the replies on this one. Closed loop keeps one
// request in flight; open loop up to MaxOutstanding on the schedule. A
// request without a reply within Timeout counts as lost.
func (lt *latencyTest) runUDPRR(ctx context.Context) error {
	ctl, ack, err := lt.hello(ctx, UDPRR)
	if err != nil {
		return err
	}
	defer ctl.Close()
	var conn net.Conn
	err = lt.c.network().Do(func() error {
		var d net.Dialer
		var err error
		conn, err = d.DialContext(ctx, dialNetwork("udp", lt.spec.Family), ctl.RemoteAddr().String())
		return err
	})
	if err != nil {
		return fmt.Errorf("open UDP socket: %w", err)
	}
	defer conn.Close()
	uc := conn.(*net.UDPConn)
	growUDPBuffers(uc, 0)
	tr := newUDPTracker(lt.spec.MaxOutstanding)
	if lt.spec.Rate == 0 {
		if sock, err := newBlockingSocket(uc, lt.spec.Timeout); err == nil {
			defer sock.Close()
			lt.begin(conn)
			err = lt.udpRRClosedLoop(ctx, sock, ack.token, tr)
			lt.res.Lost, lt.res.Duplicated, lt.res.Reordered = tr.lost+tr.inFlight, tr.dup, tr.reordered
			return err
		}
	}
	slots := make(chan struct{}, lt.spec.MaxOutstanding)
	stop := make(chan struct{})
	var sendDone atomic.Bool
	sendErr := make(chan error, 1)
	start := lt.begin(conn)
	go func() {
		defer func() {
			sendDone.Store(true)
			_ = uc.SetReadDeadline(time.Now()) // wake the reader to see it
		}()
		sendErr <- lt.sendUDPRR(ctx, uc, ack.token, tr, slots, stop, start)
	}()
	err = lt.readUDPRR(ctx, uc, ack.token, tr, slots, &sendDone)
	close(stop)
	if serr := <-sendErr; err == nil && serr != nil && serr != errStopped {
		err = fmt.Errorf("send request: %w", serr)
	}
	tr.mu.Lock()
	lt.res.Lost, lt.res.Duplicated, lt.res.Reordered = tr.lost+tr.inFlight, tr.dup, tr.reordered
	tr.mu.Unlock()
	return err
}

// udpRRClosedLoop sends a request and waits for its reply (or the timeout,
// then it is lost) with blocking system calls on this goroutine's own OS
// thread, as rr does (see blockingSocket). Replies to earlier requests
// that come late are counted by the tracker and do not end the wait.
func (lt *latencyTest) udpRRClosedLoop(ctx context.Context, sock *blockingSocket, token uint64, tr *udpTracker) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer context.AfterFunc(ctx, func() { sock.Interrupt(ctx.Err()) })()
	req, buf := make([]byte, lt.spec.RequestSize), make([]byte, MaxUDPLength+1)
	timeout, start := lt.spec.Timeout, lt.res.Start
	end, last := lt.deadline(start), start
	defer func() { lt.finish(last) }()
	var pacer sysmonPacer
	for n := int64(0); lt.more(n, time.Now(), end); n++ {
		pacer.pace(time.Now())
		t0 := time.Now()
		seq := tr.sent(t0)
		putUDPRR(req, token, seq)
		if _, err := sock.Write(req); err != nil && !isBufferFull(err) {
			return fmt.Errorf("send request: %w", err)
		}
		for {
			k, err := sock.Read(buf)
			now := time.Now()
			if err != nil && !isTimeout(err) {
				return fmt.Errorf("read reply: %w", err)
			}
			if err == nil {
				if tok, s, ok := parseUDPRR(buf[:k]); ok && tok == token {
					if due, ok := tr.reply(s); ok {
						record(lt.hist, now.Sub(due))
						last = now
					}
				}
			}
			if tr.expire(now, timeout); tr.outstanding() == 0 {
				break
			}
		}
	}
	return nil
}

func (lt *latencyTest) sendUDPRR(ctx context.Context, uc *net.UDPConn, token uint64, tr *udpTracker, slots chan struct{}, stop chan struct{}, start time.Time) error {
	req := make([]byte, lt.spec.RequestSize)
	send := func(due time.Time) error {
		select {
		case slots <- struct{}{}:
		case <-stop:
			return errStopped
		case <-ctx.Done():
			return errStopped
		}
		if lt.spec.Rate == 0 {
			due = time.Now() // closed loop: from the send, not from the wait for the slot
		}
		putUDPRR(req, token, tr.sent(due))
		if _, err := uc.Write(req); err != nil && !isBufferFull(err) {
			return err // ENOBUFS: the datagram is lost, and counted so
		}
		return nil
	}
	if lt.spec.Rate > 0 {
		return lt.schedule(start, send)
	}
	end := lt.deadline(start)
	for n := int64(0); lt.more(n, time.Now(), end); n++ {
		if err := send(time.Time{}); err != nil {
			return err
		}
	}
	return nil
}

func (lt *latencyTest) readUDPRR(ctx context.Context, uc *net.UDPConn, token uint64, tr *udpTracker, slots chan struct{}, sendDone *atomic.Bool) error {
	buf := make([]byte, MaxUDPLength+1)
	timeout := lt.spec.Timeout
	last := lt.res.Start
	defer func() { lt.finish(last) }()
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if sendDone.Load() && tr.outstanding() == 0 {
			return nil
		}
		_ = uc.SetReadDeadline(tr.nextExpiry(time.Now(), timeout))
		n, err := uc.Read(buf)
		now := time.Now()
		if err != nil && !isTimeout(err) {
			return fmt.Errorf("read reply: %w", err)
		}
		if err == nil {
			if tok, seq, ok := parseUDPRR(buf[:n]); ok && tok == token {
				if due, ok := tr.reply(seq); ok {
					record(lt.hist, now.Sub(due))
					last = now
					<-slots
				}
			}
		}
		for range tr.expire(now, timeout) {
			<-slots
		}
	}
}

// udpTracker follows udp-rr requests by sequence number: which are in
// flight and since when, which were answered or given up, and the
// counts of lost, duplicated and reordered replies. Its window is larger
// than the requests in flight, so a duplicate of a recent reply is known.
type udpTracker struct {
	mu        sync.Mutex
	due       []time.Time
	seqOf     []uint64
	state     []uint8
	next      uint64 // the next request's sequence number
	oldest    uint64 // no request before it is in flight
	highest   uint64 // the highest answered sequence number + 1; 0 = none yet
	inFlight  int64
	lost      int64
	dup       int64
	reordered int64
}

const (
	slotInFlight uint8 = iota + 1
	slotAnswered
	slotExpired
)

func newUDPTracker(outstanding int) *udpTracker {
	w := 4 * max(outstanding, 256)
	return &udpTracker{due: make([]time.Time, w), seqOf: make([]uint64, w), state: make([]uint8, w)}
}

// sent records a request sent (or about to be) with its intended start and
// returns its sequence number. The caller keeps fewer than the window in
// flight.
func (t *udpTracker) sent(due time.Time) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	seq := t.next
	t.next++
	i := seq % uint64(len(t.state))
	t.due[i], t.seqOf[i], t.state[i] = due, seq, slotInFlight
	t.inFlight++
	return seq
}

// reply records a reply; ok when it answers a request in flight (then due
// is that request's start).
func (t *udpTracker) reply(seq uint64) (due time.Time, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := seq % uint64(len(t.state))
	if seq >= t.next || t.seqOf[i] != seq {
		return due, false // never sent, or older than the window: late, counted lost
	}
	switch t.state[i] {
	case slotAnswered:
		t.dup++
		return due, false
	case slotExpired:
		return due, false // after its timeout: counted lost
	}
	t.state[i] = slotAnswered
	t.inFlight--
	if seq+1 < t.highest {
		t.reordered++
	}
	t.highest = max(t.highest, seq+1)
	t.advance()
	return t.due[i], true
}

// expire gives up the requests in flight longer than timeout and returns
// how many.
func (t *udpTracker) expire(now time.Time, timeout time.Duration) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for s := t.oldest; s < t.next; s++ {
		i := s % uint64(len(t.state))
		if t.state[i] != slotInFlight {
			continue
		}
		if now.Sub(t.due[i]) < timeout {
			break // later requests started later
		}
		t.state[i] = slotExpired
		t.inFlight--
		t.lost++
		n++
	}
	t.advance()
	return n
}

// advance moves oldest past the requests no longer in flight.
func (t *udpTracker) advance() {
	for t.oldest < t.next && t.state[t.oldest%uint64(len(t.state))] != slotInFlight {
		t.oldest++
	}
}

// outstanding is how many requests are in flight.
func (t *udpTracker) outstanding() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.inFlight
}

// nextExpiry is when the oldest request in flight times out (now+timeout
// when none is in flight).
func (t *udpTracker) nextExpiry(now time.Time, timeout time.Duration) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.oldest < t.next {
		return t.due[t.oldest%uint64(len(t.state))].Add(timeout)
	}
	return now.Add(timeout)
}
