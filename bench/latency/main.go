// Command latency benchmarks cnibench's rr test against sockperf's TCP
// ping-pong on loopback: in one invocation it interleaves repeated runs of
// each with equal 16-byte messages (sockperf's minimum is 14) and prints
// the median transactions/s and p50 of each, and the median of the rounds'
// ratios cnibench / sockperf (goal ≥ 1.0) with its confidence interval:
// on a 2-core virtual machine one round's ratio moves by several percent,
// and the interval says whether a median below 1 is more than that. Like
// sockperf's, cnibench's server is a process of its own (this program,
// started again with -serve) and its client is this process: a client and
// server in one Go process wake each other more cheaply than two
// processes can, which no application between two pods sees. It is a benchmark, not a test: run it on a quiet machine and read
// the ratio.
//
// Both clients run on one CPU and both servers on another (-client-cpu,
// -server-cpu; -1 leaves placement to the scheduler). Unpinned, on a
// 2-core machine each run lands in one of two modes, the two ends on one
// CPU (a wake-up is a context switch: sockperf 17.5 µs) or on two (an
// inter-processor wake-up: 22 µs), and the two tools often land in
// different modes in the same round: the ratio then read anything from
// 0.4 to 1.1.
//
//	go run ./bench/latency -duration 2s -repeats 9
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
	"strconv"
	"time"

	"github.com/cnibench/cnibench/internal/engine"
	"golang.org/x/sys/unix"
)

func main() {
	duration := flag.Duration("duration", 3*time.Second, "time per run (whole seconds)")
	repeats := flag.Int("repeats", 9, "rounds, each one run of each tool (6 or more for intervals)")
	size := flag.Int("size", 16, "request and response bytes (sockperf needs at least 14)")
	serve := flag.String("serve", "", "internal: be the cnibench server on this address until stdin closes")
	clientCPU := flag.Int("client-cpu", 0, "CPU both clients run on (-1: any)")
	serverCPU := flag.Int("server-cpu", 1, "CPU both servers run on (-1: any)")
	flag.Parse()
	if (*clientCPU < 0) != (*serverCPU < 0) {
		fmt.Fprintln(os.Stderr, "bench: pin both ends or neither: -client-cpu and -server-cpu are both -1 or both CPUs")
		os.Exit(2)
	}
	if *serve != "" {
		if err := pinProcess(*serverCPU); err != nil {
			fmt.Fprintln(os.Stderr, "bench server:", err)
			os.Exit(1)
		}
		if err := server(*serve); err != nil {
			fmt.Fprintln(os.Stderr, "bench server:", err)
			os.Exit(1)
		}
		return
	}
	if err := pinProcess(*clientCPU); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if err := run(*duration, *repeats, *size, *serverCPU); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(d time.Duration, repeats, size, serverCPU int) error {
	if d%time.Second != 0 || d <= 0 || repeats < 1 || repeats > 50 || size < 14 || size > 65000 {
		return fmt.Errorf("-duration must be whole seconds > 0, -repeats 1..50, -size 14..65000")
	}
	sockperf, err := exec.LookPath("sockperf")
	if err != nil {
		return fmt.Errorf("sockperf not found (apt-get install sockperf): %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, stop, err := startServer(serverCPU)
	if err != nil {
		return err
	}
	defer stop()
	port, err := freePort()
	if err != nil {
		return err
	}
	srv := pinned(serverCPU, sockperf, "server", "--tcp", "-i", "127.0.0.1", "-p", strconv.Itoa(port))
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
	c, err := compare(ours, theirs)
	if err != nil {
		return err
	}
	where := "clients and servers unpinned"
	if serverCPU >= 0 {
		where = fmt.Sprintf("clients on CPU %d, servers on CPU %d", cpuOf(), serverCPU)
	}
	fmt.Printf("\nmedian of %d runs of %v, %d-byte messages, loopback, %s:\n", repeats, d, size, where)
	fmt.Printf("  cnibench rr            %9.0f transactions/s  p50 %6.1f µs\n", c.ours.tps, c.ours.p50)
	fmt.Printf("  sockperf ping-pong     %9.0f transactions/s  p50 %6.1f µs\n", c.theirs.tps, c.theirs.p50)
	fmt.Printf("median of the rounds' ratios (each round ran both tools):\n")
	fmt.Printf("  transactions/s, cnibench / sockperf  %.3f (%s)  %s\n", c.tps, interval(c.tpsCI), c.verdict())
	fmt.Printf("  p50, sockperf / cnibench             %.3f (%s)\n", c.p50, interval(c.p50CI))
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

// startServer starts this program again as the cnibench server on a free
// loopback port (pinned to cpu unless it is -1) and returns its address
// and how to stop it.
func startServer(cpu int) (string, func(), error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(self, "-serve", addr, "-server-cpu", strconv.Itoa(cpu), "-client-cpu", strconv.Itoa(cpu))
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

// pinProcess binds every thread of this process to cpu (-1: nothing);
// threads started later inherit it from the one that starts them.
func pinProcess(cpu int) error {
	if cpu < 0 {
		return nil
	}
	var set unix.CPUSet
	set.Set(cpu)
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, task := range tasks {
		tid, err := strconv.Atoi(task.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
			return fmt.Errorf("pin to CPU %d (see -client-cpu, -server-cpu): %w", cpu, err)
		}
	}
	return nil
}

// cpuOf is the CPU this process is pinned to (-1: several).
func cpuOf() int {
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) != nil || set.Count() != 1 {
		return -1
	}
	for i := 0; ; i++ {
		if set.IsSet(i) {
			return i
		}
	}
}

// pinned is a command run on cpu (through taskset; -1: as it is).
func pinned(cpu int, bin string, args ...string) *exec.Cmd {
	if cpu < 0 {
		return exec.Command(bin, args...)
	}
	return exec.Command("taskset", append([]string{"-c", strconv.Itoa(cpu), bin}, args...)...)
}
