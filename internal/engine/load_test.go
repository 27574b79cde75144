package engine

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/iperf3"
)

// garbageFor is how long TestGarbageLoad's other client sends garbage, as
// the issue asks; the real tests run inside it.
const garbageFor = 60 * time.Second

// The real tests are paced, so that their goodput measures whether the
// server keeps up, not how much CPU is left on the machine.
var loadSpecs = []Spec{
	{Protocol: TCP, Rate: 500e6},
	{Protocol: UDP, Rate: 100e6, Length: 1460},
}

// TestGarbageLoad: while another client sends garbage connections and
// datagrams to the server for a minute, a real TCP test and a real UDP
// test at the same time measure the goodput they measure without it,
// within its usual spread (taken first, in this test).
func TestGarbageLoad(t *testing.T) {
	skipLong(t)
	addr := startServer(t, &Server{})
	const baselineRounds, baselineLength = 4, 2 * time.Second
	baseline := make([][]float64, len(loadSpecs))
	for range baselineRounds {
		for i, res := range runLoadSpecs(t, addr, baselineLength) {
			baseline[i] = append(baseline[i], res.Goodput())
		}
	}

	stop := make(chan struct{})
	var g garbageCounts
	var wg sync.WaitGroup
	g.start(t, &wg, addr, stop)
	time.Sleep(time.Second) // the garbage is flowing before the tests start
	results := runLoadSpecs(t, addr, garbageFor-3*time.Second)
	time.Sleep(time.Second) // and after they end
	close(stop)
	wg.Wait()
	t.Logf("garbage from another client over %v: %d TCP connections, %d datagrams", garbageFor,
		g.conns.Load(), g.datagrams.Load())

	for i, spec := range loadSpecs {
		lo, hi := usualSpread(baseline[i])
		got := results[i].Goodput()
		t.Logf("%s at %.0f Mbit/s: %.2f Mbit/s under garbage; without it %s Mbit/s, band [%.2f, %.2f]",
			spec.Protocol, float64(spec.Rate)/1e6, got/1e6, mbits(baseline[i]), lo/1e6, hi/1e6)
		if got < lo || got > hi {
			t.Errorf("%s goodput %.2f Mbit/s under garbage is outside its usual spread [%.2f, %.2f]",
				spec.Protocol, got/1e6, lo/1e6, hi/1e6)
		}
		if r := results[i].SumReceived; spec.Protocol == UDP && r.LostPackets > r.Packets/100 {
			t.Errorf("UDP lost %d of %d datagrams under garbage", r.LostPackets, r.Packets)
		}
	}
	legitTest(t, addr) // and the server still serves
}

// runLoadSpecs runs loadSpecs at the same time, each for d.
func runLoadSpecs(t *testing.T, addr string, d time.Duration) []*Result {
	t.Helper()
	out := make([]*Result, len(loadSpecs))
	errs := make([]error, len(loadSpecs))
	var wg sync.WaitGroup
	for i, spec := range loadSpecs {
		spec.Duration = d
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
			defer cancel()
			out[i], errs[i] = (&Client{}).Run(ctx, addr, spec)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s test: %v", loadSpecs[i].Protocol, err)
		}
	}
	return out
}

// usualSpread is the band a measurement within the usual spread falls in:
// the range of the baseline, widened on each side by that range or by 1%
// of the median (a paced test's range can be nearly zero), whichever is
// larger.
func usualSpread(xs []float64) (lo, hi float64) {
	s := slices.Sorted(slices.Values(xs))
	lo, hi = s[0], s[len(s)-1]
	margin := max(hi-lo, 0.01*s[len(s)/2])
	return lo - margin, hi + margin
}

// mbits lists goodputs in Mbit/s.
func mbits(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.2f", x/1e6)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// garbageCounts is what the garbage client sent.
type garbageCounts struct{ conns, datagrams atomic.Int64 }

// garbageSource is the garbage client's own address: the server limits
// setups per client address, and the real tests come from 127.0.0.1.
var garbageSource = net.IPv4(127, 0, 0, 2)

// start runs the garbage client until stop closes: TCP connections that
// send random bytes, a cookie and an absurd length, half a cookie and
// stall, or reset at once; and datagrams of every awkward size to the
// server's UDP port. Every loop is bounded by stop and by a pause per step.
func (g *garbageCounts) start(t *testing.T, wg *sync.WaitGroup, addr string, stop <-chan struct{}) {
	server, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	for w := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 20))
			d := net.Dialer{Timeout: time.Second, LocalAddr: &net.TCPAddr{IP: garbageSource}}
			for i := 0; !stopped(); i++ {
				c, err := d.Dial("tcp", addr)
				if err == nil {
					g.conns.Add(1)
					garbageConn(c.(*net.TCPConn), i, rng, stop)
				}
				time.Sleep(2 * time.Millisecond)
			}
		})
	}
	for w := range 2 {
		wg.Go(func() {
			pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: garbageSource})
			if err != nil {
				t.Error(err)
				return
			}
			defer pc.Close()
			dgrams := garbageDatagrams(rand.New(rand.NewPCG(uint64(w), 21)), 256)
			for i := 0; !stopped(); i++ {
				if _, err := pc.WriteToUDP(dgrams[i%len(dgrams)], server); err == nil {
					g.datagrams.Add(1)
				}
				time.Sleep(200 * time.Microsecond)
			}
		})
	}
}

// garbageConn does the i-th kind of garbage on c and closes it.
func garbageConn(c *net.TCPConn, i int, rng *rand.Rand, stop <-chan struct{}) {
	defer c.Close()
	cookie, _ := iperf3.NewCookie()
	switch i % 4 {
	case 0: // not a cookie
		writeQuietly(c, randomBytes(rng, 1+rng.IntN(200), false))
	case 1: // a cookie, then a length no server should allocate
		writeQuietly(c, binary.BigEndian.AppendUint32(iperf3.AppendCookie(nil, cookie), 0xFFFFFFF0))
	case 2: // half a cookie, then silence for a while
		writeQuietly(c, []byte(cookie[:len(cookie)/2]))
		select {
		case <-stop:
		case <-time.After(500 * time.Millisecond):
		}
	case 3: // reset at once
		_ = c.SetLinger(0)
	}
}
