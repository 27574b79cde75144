// Command engine benchmarks cnibench's engine against iperf3 on loopback:
// in one invocation it interleaves repeated runs of every client/server
// pair (cnibench↔cnibench, iperf3↔iperf3 and the cross pairs), each tool at
// its defaults and again at equal block sizes, and prints medians and the
// ratios of cnibench to iperf3. It is a benchmark, not a test: run it on a
// quiet machine and read the ratios.
//
//	go run ./bench/engine -duration 5s -repeats 5
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// tool is one implementation's server and client command lines.
type tool struct {
	name   string
	bin    string
	server func(port int) []string
	client func(port int, d time.Duration, extra []string) []string
}

// scenario is one measured configuration.
type scenario struct {
	name  string
	extra []string // client flags beyond -t
}

// sample is one run's outcome.
type sample struct {
	gbps    float64
	cpuSecs float64 // client + server user+system CPU, from wait4's rusage
}

func main() {
	duration := flag.Duration("duration", 5*time.Second, "seconds per run (whole seconds)")
	repeats := flag.Int("repeats", 3, "runs per pair and scenario (interleaved)")
	cnibench := flag.String("cnibench", "", "cnibench binary (default: build ./cmd/cnibench)")
	iperf3 := flag.String("iperf3", "iperf3", "iperf3 binary")
	flag.Parse()
	if err := run(*duration, *repeats, *cnibench, *iperf3); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(d time.Duration, repeats int, cniBin, ipBin string) error {
	if d%time.Second != 0 || d <= 0 || repeats < 1 || repeats > 50 {
		return fmt.Errorf("-duration must be whole seconds > 0 and -repeats 1..50")
	}
	ipPath, err := exec.LookPath(ipBin)
	if err != nil {
		return fmt.Errorf("iperf3 not found (apt-get install iperf3): %w", err)
	}
	if cniBin == "" {
		dir, err := os.MkdirTemp("", "cnibench-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cniBin = filepath.Join(dir, "cnibench")
		if out, err := exec.Command("go", "build", "-o", cniBin, "./cmd/cnibench").CombinedOutput(); err != nil {
			return fmt.Errorf("build cnibench: %v\n%s", err, out)
		}
	}
	version, _ := exec.Command(ipPath, "--version").Output()
	fmt.Printf("iperf3: %s", firstLine(version))
	fmt.Printf("loopback, %v per run, %d interleaved repeats\n\n", d, repeats)

	tools := map[string]tool{
		"cnibench": {name: "cnibench", bin: cniBin,
			server: func(p int) []string { return []string{"server", "-1", "-p", strconv.Itoa(p)} },
			client: func(p int, d time.Duration, x []string) []string {
				return append([]string{"client", "127.0.0.1", "-J", "-p", strconv.Itoa(p), "-t", secs(d)}, x...)
			}},
		"iperf3": {name: "iperf3", bin: ipPath,
			server: func(p int) []string { return []string{"-s", "-1", "-p", strconv.Itoa(p)} },
			client: func(p int, d time.Duration, x []string) []string {
				return append([]string{"-c", "127.0.0.1", "-J", "-p", strconv.Itoa(p), "-t", secs(d)}, x...)
			}},
	}
	// client, server
	pairs := [][2]string{{"cnibench", "cnibench"}, {"iperf3", "iperf3"}, {"cnibench", "iperf3"}, {"iperf3", "cnibench"}}
	scenarios := []scenario{
		{name: "TCP 1 stream, defaults"},
		{name: "TCP 1 stream, -l 1M", extra: []string{"-l", "1M"}},
		{name: "TCP -P 2, defaults", extra: []string{"-P", "2"}},
	}
	results := map[string][]sample{}
	key := func(p [2]string, s scenario) string { return p[0] + "→" + p[1] + "|" + s.name }
	for r := range repeats {
		for _, s := range scenarios {
			for _, p := range pairs {
				smp, err := once(tools[p[1]], tools[p[0]], s, d)
				if err != nil {
					return fmt.Errorf("%s, %s→%s, repeat %d: %w", s.name, p[0], p[1], r+1, err)
				}
				results[key(p, s)] = append(results[key(p, s)], smp)
				fmt.Fprintf(os.Stderr, "  %-24s %-9s→%-9s %6.2f Gbit/s  %.2f CPU s\n", s.name, p[0], p[1], smp.gbps, smp.cpuSecs)
			}
		}
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "scenario\tclient→server\tmedian Gbit/s\tCPU s per Gbit\t")
	for _, s := range scenarios {
		for _, p := range pairs {
			g, c := medians(results[key(p, s)], d)
			fmt.Fprintf(w, "%s\t%s→%s\t%.2f\t%.4f\t\n", s.name, p[0], p[1], g, c)
		}
	}
	w.Flush()
	fmt.Println("\nratios, cnibench↔cnibench over iperf3↔iperf3 (targets: throughput ≥ 1.15 single stream, ≥ 1.10 -P 2; CPU per Gbit ≤ 0.85):")
	for _, s := range scenarios {
		cg, cc := medians(results[key(pairs[0], s)], d)
		ig, ic := medians(results[key(pairs[1], s)], d)
		fmt.Printf("  %-24s throughput %.2fx   CPU per Gbit %.2fx\n", s.name, cg/ig, cc/ic)
	}
	return nil
}

// once runs one server and one client process and measures both.
func once(srv, cli tool, s scenario, d time.Duration) (sample, error) {
	port, err := freePort()
	if err != nil {
		return sample{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	server := exec.CommandContext(ctx, srv.bin, srv.server(port)...)
	var serr bytes.Buffer
	server.Stderr = &serr
	if err := server.Start(); err != nil {
		return sample{}, err
	}
	defer func() { _ = server.Process.Kill(); _ = server.Wait() }()
	var out []byte
	var client *exec.Cmd
	for range 100 { // retry until the server listens (a probe would use up -1)
		client = exec.CommandContext(ctx, cli.bin, cli.client(port, d, s.extra)...)
		out, err = client.Output()
		// iperf3 -J exits 0 even when it could not connect: read its output.
		if !bytes.Contains(out, []byte("refused")) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return sample{}, fmt.Errorf("client: %v: %s (server: %s)", err, firstLine(out), serr.String())
	}
	if err := server.Wait(); err != nil {
		return sample{}, fmt.Errorf("server: %w: %s", err, serr.String())
	}
	var rep struct {
		End struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(out, &rep); err != nil || rep.Error != "" {
		return sample{}, fmt.Errorf("client output: %v %s", err, rep.Error)
	}
	cpu := func(c *exec.Cmd) float64 { return (c.ProcessState.UserTime() + c.ProcessState.SystemTime()).Seconds() }
	return sample{gbps: rep.End.SumReceived.BitsPerSecond / 1e9, cpuSecs: cpu(client) + cpu(server)}, nil
}

// medians returns the median throughput and the median CPU seconds spent
// (client + server) per gigabit moved.
func medians(s []sample, d time.Duration) (gbps, cpuPerGbit float64) {
	g := make([]float64, len(s))
	c := make([]float64, len(s))
	for i, x := range s {
		g[i], c[i] = x.gbps, x.cpuSecs/(x.gbps*d.Seconds())
	}
	return median(g), median(c)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func secs(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s + "\n"
}
