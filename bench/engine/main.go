// Command engine benchmarks cnibench's engine against iperf3 on loopback:
// in one invocation it interleaves repeated runs of every client/server
// pair (cnibench↔cnibench, iperf3↔iperf3 and the cross pairs), each tool at
// its defaults and again at equal block sizes, and UDP at a fixed rate, and
// prints medians and the ratios of cnibench to iperf3 against the targets in
// docs/performance.md. It is a benchmark, not a test: run it on a quiet
// machine and read the ratios.
//
//	go run ./bench/engine -duration 5s -repeats 5
//
// -variant NAME=BINARY adds another cnibench build (a lead under test) as a
// third tool, interleaved with the others, so a change is measured against
// the code before it and against iperf3 at the same moments.
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
	"regexp"
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
	name    string
	extra   []string // client flags beyond -t
	minGbps float64  // cnibench↔cnibench throughput ratio goal
	maxCPU  float64  // cnibench↔cnibench CPU per Gbit ratio goal
}

// sample is one run's outcome.
type sample struct {
	gbps     float64
	cpuSecs  float64 // client + server user+system CPU, from wait4's rusage
	lostPct  float64 // UDP datagrams lost, as the client's report says
	duration time.Duration
}

// variants is the -variant flag: NAME=BINARY, repeatable.
type variants [][2]string

func (v *variants) String() string { return fmt.Sprint(*v) }
func (v *variants) Set(s string) error {
	name, bin, ok := strings.Cut(s, "=")
	if !ok || name == "" || bin == "" || name == "cnibench" || name == "iperf3" {
		return fmt.Errorf("want NAME=BINARY with a NAME other than cnibench or iperf3, got %q", s)
	}
	*v = append(*v, [2]string{name, bin})
	return nil
}

func main() {
	duration := flag.Duration("duration", 5*time.Second, "seconds per run (whole seconds)")
	repeats := flag.Int("repeats", 3, "runs per pair and scenario (interleaved)")
	cnibench := flag.String("cnibench", "", "cnibench binary (default: build ./cmd/cnibench)")
	iperf3 := flag.String("iperf3", "iperf3", "iperf3 binary")
	only := flag.String("only", "", "run only the scenarios whose name matches this regular expression")
	var vs variants
	flag.Var(&vs, "variant", "NAME=BINARY: another cnibench build to measure beside the others (repeatable)")
	flag.Parse()
	if err := run(*duration, *repeats, *cnibench, *iperf3, *only, vs); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(d time.Duration, repeats int, cniBin, ipBin, only string, vs variants) error {
	if d%time.Second != 0 || d <= 0 || repeats < 1 || repeats > 50 {
		return fmt.Errorf("-duration must be whole seconds > 0 and -repeats 1..50")
	}
	match, err := regexp.Compile(only)
	if err != nil {
		return fmt.Errorf("-only: %w", err)
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
		"cnibench": cnibenchTool("cnibench", cniBin),
		"iperf3": {name: "iperf3", bin: ipPath,
			server: func(p int) []string { return []string{"-s", "-1", "-p", strconv.Itoa(p)} },
			client: func(p int, d time.Duration, x []string) []string {
				return append([]string{"-c", "127.0.0.1", "-J", "-p", strconv.Itoa(p), "-t", secs(d)}, x...)
			}},
	}
	// client, server
	pairs := [][2]string{{"cnibench", "cnibench"}, {"iperf3", "iperf3"}, {"cnibench", "iperf3"}, {"iperf3", "cnibench"}}
	for _, v := range vs {
		tools[v[0]] = cnibenchTool(v[0], v[1])
		pairs = append(pairs, [2]string{v[0], v[0]}, [2]string{v[0], "iperf3"}, [2]string{"iperf3", v[0]})
	}
	var scenarios []scenario
	for _, s := range allScenarios {
		if match.MatchString(s.name) {
			scenarios = append(scenarios, s)
		}
	}
	if len(scenarios) == 0 {
		return fmt.Errorf("-only %q matches no scenario", only)
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
				fmt.Fprintf(os.Stderr, "  %-24s %-9s→%-9s %6.2f Gbit/s  %.2f CPU s  %.3f%% lost\n", s.name, p[0], p[1], smp.gbps, smp.cpuSecs, smp.lostPct)
			}
		}
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "scenario\tclient→server\tmedian Gbit/s\tCPU s per Gbit\tmax lost %\t")
	for _, s := range scenarios {
		for _, p := range pairs {
			m := summarize(results[key(p, s)])
			fmt.Fprintf(w, "%s\t%s→%s\t%.2f\t%.4f\t%.3f\t\n", s.name, p[0], p[1], m.gbps, m.cpuPerGbit, m.maxLost)
		}
	}
	w.Flush()
	fmt.Println("\nratios over iperf3↔iperf3 in the same run (targets in brackets):")
	for _, s := range scenarios {
		ip := summarize(results[key(pairs[1], s)])
		for _, p := range pairs {
			if p == pairs[1] {
				continue
			}
			m := summarize(results[key(p, s)])
			fmt.Printf("  %-24s %-9s→%-9s throughput %.2fx %-8s CPU per Gbit %.2fx %s\n", s.name, p[0], p[1],
				m.gbps/ip.gbps, s.target(p, "gbps"), m.cpuPerGbit/ip.cpuPerGbit, s.target(p, "cpu"))
		}
	}
	return nil
}

// cnibenchTool runs a cnibench build as server and client.
func cnibenchTool(name, bin string) tool {
	return tool{name: name, bin: bin,
		server: func(p int) []string { return []string{"server", "-1", "-p", strconv.Itoa(p)} },
		client: func(p int, d time.Duration, x []string) []string {
			return append([]string{"client", "127.0.0.1", "-J", "-p", strconv.Itoa(p), "-t", secs(d)}, x...)
		}}
}

// allScenarios are the measured configurations, with the goals each
// cnibench↔cnibench ratio is held to (0: none). A stock iperf3 peer on
// either side must get at least what iperf3↔iperf3 gets (throughput ≥ 1.0).
var allScenarios = []scenario{
	{name: "TCP 1 stream, defaults", minGbps: 1.4, maxCPU: 0.7},
	{name: "TCP 1 stream, -l 1M", extra: []string{"-l", "1M"}, minGbps: 1.0, maxCPU: 0.85},
	{name: "TCP -P 2, defaults", extra: []string{"-P", "2"}, minGbps: 1.5},
	{name: "UDP 1 Gbit/s, -l 1400", extra: []string{"-u", "-b", "1G", "-l", "1400"}, maxCPU: 0.7},
}

// target names the goal a ratio is held to, and whether it is met.
func (s scenario) target(p [2]string, what string) string {
	goal, atLeast := 0.0, true
	switch {
	case p[0] == "iperf3" || p[1] == "iperf3": // a stock peer
		if what == "gbps" && !s.udp() {
			goal = 1.0
		}
	case what == "gbps":
		goal = s.minGbps
	default:
		goal, atLeast = s.maxCPU, false
	}
	if goal == 0 {
		return ""
	}
	if atLeast {
		return fmt.Sprintf("[≥ %.2f]", goal)
	}
	return fmt.Sprintf("[≤ %.2f]", goal)
}

func (s scenario) udp() bool { return slices.Contains(s.extra, "-u") }

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
				LostPercent   float64 `json:"lost_percent"`
			} `json:"sum_received"`
		} `json:"end"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(out, &rep); err != nil || rep.Error != "" {
		return sample{}, fmt.Errorf("client output: %v %s", err, rep.Error)
	}
	cpu := func(c *exec.Cmd) float64 { return (c.ProcessState.UserTime() + c.ProcessState.SystemTime()).Seconds() }
	return sample{gbps: rep.End.SumReceived.BitsPerSecond / 1e9, cpuSecs: cpu(client) + cpu(server),
		lostPct: rep.End.SumReceived.LostPercent, duration: d}, nil
}

// summary is a pair's medians over its repeats.
type summary struct {
	gbps, cpuPerGbit, maxLost float64
}

// summarize gives the median throughput, the median CPU seconds spent
// (client + server) per gigabit moved, and the worst loss.
func summarize(s []sample) summary {
	g := make([]float64, len(s))
	c := make([]float64, len(s))
	var m summary
	for i, x := range s {
		g[i], c[i] = x.gbps, x.cpuSecs/(x.gbps*x.duration.Seconds())
		m.maxLost = max(m.maxLost, x.lostPct)
	}
	m.gbps, m.cpuPerGbit = median(g), median(c)
	return m
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
