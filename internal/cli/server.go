package cli

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/cnibench/cnibench/internal/engine"
	"github.com/spf13/cobra"
)

// serverOptions are `cnibench server`'s flags.
type serverOptions struct {
	port             int
	bind             string
	oneOff           bool
	json             bool
	verbose          bool
	maxSetups        int
	maxLatency       int
	maxTests         int
	maxStreams       int
	maxDuration      time.Duration
	handshakeTimeout time.Duration
	idleTimeout      time.Duration
}

func newServerCommand(s Streams) *cobra.Command {
	o := serverOptions{}
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Serve iperf3-protocol tests (like iperf3 -s, but many at once)",
		Long: `Run a measuring server that speaks iperf3's protocol: a stock "iperf3 -c"
or "cnibench client" can test against it. Unlike iperf3 it serves several
tests at once, within --max-tests, and drops clients that stall.`,
		Example: `  cnibench server                 # listen on port 5201
  cnibench server -p 5299 -1      # serve one test, then exit
  cnibench server -J              # print each test's result as iperf3 -J JSON
  iperf3 -c 127.0.0.1             # a stock iperf3 client works against it`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServer(cmd.Context(), s, o)
		},
	}
	f := cmd.Flags()
	f.IntVarP(&o.port, "port", "p", engine.DefaultPort, "port to listen on (TCP, and UDP for UDP tests)")
	f.StringVarP(&o.bind, "bind", "B", "", "address to listen on (default: all)")
	f.BoolVarP(&o.oneOff, "one-off", "1", false, "serve one test, then exit")
	f.BoolVarP(&o.json, "json", "J", false, "print each test's result as iperf3 -J JSON")
	f.BoolVarP(&o.verbose, "verbose", "V", false, "log connections and refusals to stderr")
	f.IntVar(&o.maxTests, "max-tests", engine.DefaultMaxTests, "tests run at once; more clients get ACCESS_DENIED")
	f.IntVar(&o.maxSetups, "max-setups-per-client", 0, "tests one client address may have in setup at once, so a client that stalls cannot take every slot (0 = max(2, max-tests/4))")
	f.IntVar(&o.maxLatency, "max-latency-per-client", 0, "latency test connections (rr, crr, udp-rr) one client address may hold at once (0 = 64)")
	f.IntVar(&o.maxStreams, "max-streams", 2*engine.MaxStreams, "data streams one test may open")
	f.DurationVar(&o.maxDuration, "max-duration", time.Hour, "longest test accepted (duration + omit)")
	f.DurationVar(&o.handshakeTimeout, "handshake-timeout", 10*time.Second, "time a client has for each setup step")
	f.DurationVar(&o.idleTimeout, "idle-timeout", 0, "exit after this long without a test (0 = never)")
	return cmd
}

func runServer(ctx context.Context, s Streams, o serverOptions) error {
	if o.port < 1 || o.port > 65535 {
		return fmt.Errorf("port %d out of range: use 1..65535", o.port)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	activity := make(chan struct{}, 1)
	var printMu sync.Mutex // tests end concurrently; keep their reports whole
	srv := &engine.Server{
		OneOff:     o.oneOff,
		JSONOutput: o.json,
		Logger:     logger(s, o.verbose),
		Limits: engine.Limits{
			MaxTests: o.maxTests, MaxStreams: o.maxStreams, MaxDuration: o.maxDuration,
			HandshakeTimeout: o.handshakeTimeout, MaxSetupsPerSource: o.maxSetups, MaxLatencyPerSource: o.maxLatency,
		},
		OnLatency: func(string, engine.LatencyMode, error) { signalActivity(activity) },
		OnTest: func(t *engine.ServerTest) {
			signalActivity(activity)
			printMu.Lock()
			defer printMu.Unlock()
			printServerTest(s, o, t)
		},
	}
	if o.idleTimeout > 0 {
		go exitWhenIdle(ctx, cancel, o.idleTimeout, activity)
	}
	addr := net.JoinHostPort(o.bind, strconv.Itoa(o.port))
	return srv.ListenAndServe(ctx, addr, func(a net.Addr) {
		if !o.json {
			fmt.Fprintf(s.Out, "-----------------------------------------------------------\nServer listening on %s (cnibench, iperf3 protocol)\n-----------------------------------------------------------\n", a)
		}
	})
}

// signalActivity tells exitWhenIdle the server served something.
func signalActivity(activity chan<- struct{}) {
	select {
	case activity <- struct{}{}:
	default:
	}
}

func exitWhenIdle(ctx context.Context, cancel func(), idle time.Duration, activity <-chan struct{}) {
	t := time.NewTimer(idle)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-activity:
			t.Reset(idle)
		case <-t.C:
			cancel()
			return
		}
	}
}

func printServerTest(s Streams, o serverOptions, t *engine.ServerTest) {
	if o.json {
		if t.Result != nil {
			if b, err := engine.ReportJSON(t.Result, engine.ServerRole); err == nil {
				_, _ = s.Out.Write(b)
			}
		} else {
			fmt.Fprintf(s.Out, "{\n\t\"error\":\t%q\n}\n", t.Err.Error())
		}
		return
	}
	fmt.Fprintf(s.Out, "Accepted connection from %s\n", t.Remote)
	if t.Result != nil {
		fmt.Fprint(s.Out, engine.FormatText(t.Result, engine.ServerRole))
	}
	if t.Err != nil {
		fmt.Fprintf(s.Out, "cnibench: test from %s failed: %v\n", t.Remote, t.Err)
	}
	fmt.Fprint(s.Out, "-----------------------------------------------------------\n")
}
