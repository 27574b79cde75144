// Command latency benchmarks cnibench's rr test against sockperf's TCP
// ping-pong on loopback: in one invocation it interleaves repeated runs of
// each with equal 16-byte messages (sockperf's minimum is 14) and prints
// the median transactions/s and p50 of each and the ratio cnibench /
// sockperf (goal ≥ 1.0). Like sockperf's, cnibench's server is a process of
// its own (this program, started again with -serve) and its client is this
// process: a client and server in one Go process wake each other more
// cheaply than two processes can, which no application between two pods
// sees. It is a benchmark, not a test: run it on a quiet machine and read
// the ratio.
//
//	go run ./bench/latency -duration 3s -repeats 5
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/cnibench/cnibench/internal/engine"
)

func main() {
	duration := flag.Duration("duration", 3*time.Second, "time per run (whole seconds)")
	repeats := flag.Int("repeats", 5, "runs per tool (interleaved)")
	size := flag.Int("size", 16, "request and response bytes (sockperf needs at least 14)")
	serve := flag.String("serve", "", "internal: be the cnibench server on this address until stdin closes")
	flag.Parse()
	if *serve != "" {
		if err := server(*serve); err != nil {
			fmt.Fprintln(os.Stderr, "bench server:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*duration, *repeats, *size); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// sample is one run's outcome.
type sample struct{ tps, p50 float64 }

func run(d time.Duration, repeats, size int) error {
	if d%time.Second != 0 || d <= 0 || repeats < 1 || repeats > 50 || size < 14 || size > 65000 {
		return fmt.Errorf("-duration must be whole seconds > 0, -repeats 1..50, -size 14..65000")
	}
	sockperf, err := exec.LookPath("sockperf")
	if err != nil {
		return fmt.Errorf("sockperf not found (apt-get install sockperf): %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, stop, err := startServer()
	if err != nil {
		return err
	}
	defer stop()
	port, err := freePort()
	if err != nil {
		return err
	}
	srv := exec.Command(sockperf, "server", "--tcp", "-i", "127.0.0.1", "-p", strconv.Itoa(port))
	if err := srv.Start(); err != nil {
		return fmt.Errorf("start sockperf server: %w", err)
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	time.Sleep(300 * time.Millisecond)

	var ours, theirs []sample
	for i := range repeats {
		res, err := (&engine.Client{}).RunLatency(ctx, addr, engine.LatencySpec{Mode: engine.RR, Duration: d, RequestSize: size, ResponseSize: size})
		if err != nil {
			return err
		}
		ours = append(ours, sample{res.TransactionsPerSecond, res.P50Us})
		s, err := sockperfRun(sockperf, port, d, size)
		if err != nil {
			return err
		}
		theirs = append(theirs, s)
		fmt.Printf("run %d: cnibench rr %.0f/s p50 %.1f µs; sockperf ping-pong --tcp %.0f/s p50 %.1f µs\n", i+1, ours[i].tps, ours[i].p50, s.tps, s.p50)
	}
	o, t := medians(ours), medians(theirs)
	fmt.Printf("\nmedian of %d runs of %v, %d-byte messages, loopback:\n", repeats, d, size)
	fmt.Printf("  cnibench rr            %9.0f transactions/s  p50 %6.1f µs\n", o.tps, o.p50)
	fmt.Printf("  sockperf ping-pong     %9.0f transactions/s  p50 %6.1f µs\n", t.tps, t.p50)
	fmt.Printf("  cnibench / sockperf    %9.2f (goal ≥ 1.0)\n", o.tps/t.tps)
	return nil
}

var (
	validRun = regexp.MustCompile(`\[Valid Duration\] RunTime=([0-9.]+) sec; SentMessages=\d+; ReceivedMessages=(\d+)`)
	p50Line  = regexp.MustCompile(`percentile 50\.000 =\s+([0-9.]+)`)
)

// sockperfRun is one ping-pong client run: its transactions/s over the
// valid duration (sockperf leaves out its warm-up) and its p50 round trip.
func sockperfRun(bin string, port int, d time.Duration, size int) (sample, error) {
	out, err := exec.Command(bin, "ping-pong", "--tcp", "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-t", strconv.Itoa(int(d/time.Second)), "-m", strconv.Itoa(size), "--full-rtt").CombinedOutput()
	if err != nil {
		return sample{}, fmt.Errorf("sockperf ping-pong: %v\n%s", err, out)
	}
	m, p := validRun.FindSubmatch(out), p50Line.FindSubmatch(out)
	if m == nil || p == nil {
		return sample{}, fmt.Errorf("sockperf's output has no valid-duration or p50 line:\n%s", out)
	}
	secs, _ := strconv.ParseFloat(string(m[1]), 64)
	n, _ := strconv.ParseFloat(string(m[2]), 64)
	p50, _ := strconv.ParseFloat(string(p[1]), 64)
	if secs <= 0 {
		return sample{}, fmt.Errorf("sockperf ran for %v s", secs)
	}
	return sample{n / secs, p50}, nil
}

func medians(s []sample) sample {
	med := func(f func(sample) float64) float64 {
		v := make([]float64, len(s))
		for i := range s {
			v[i] = f(s[i])
		}
		slices.Sort(v)
		if n := len(v); n%2 == 0 {
			return (v[n/2-1] + v[n/2]) / 2
		}
		return v[len(v)/2]
	}
	return sample{med(func(x sample) float64 { return x.tps }), med(func(x sample) float64 { return x.p50 })}
}

// startServer starts this program again as the cnibench server on a free
// loopback port and returns its address and how to stop it.
func startServer() (string, func(), error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(self, "-serve", addr)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start the cnibench server: %w", err)
	}
	stop := func() { stdin.Close(); _ = cmd.Wait() }
	for range 50 { // up to 5 s for it to listen
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr, stop, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	return "", nil, fmt.Errorf("the cnibench server did not listen on %s within 5 s", addr)
}

// server serves on addr until stdin closes (the parent ended).
func server(addr string) error {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); cancel() }()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return (&engine.Server{}).Serve(ctx, ln)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
