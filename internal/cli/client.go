package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/agent"
	"github.com/cnibench/cnibench/internal/units"

	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/iperf3"
	"github.com/spf13/cobra"
)

// clientOptions are `cnibench client`'s flags, named and meant as iperf3's.
type clientOptions struct {
	port            int
	duration        int
	bytes           string
	blocks          string
	interval        float64
	parallel        int
	reverse         bool
	bidir           bool
	udp             bool
	rate            string
	length          string
	window          string
	mss             int
	congestion      string
	noDelay         bool
	zeroCopy        bool
	discard         bool
	udp64           bool
	omit            int
	ipv4, ipv6      bool
	json            bool
	title           string
	getServerOutput bool
	connectTimeout  int
	rtt             int
	lat             latencyOptions // --rr, --crr, --udp-rr: clientlatency.go
	// hidden, for the kube backend: the whole Spec in, the whole Result out
	specJSON   string
	resultJSON bool
}

func newClientCommand(s Streams) *cobra.Command {
	o := clientOptions{}
	cmd := &cobra.Command{
		Use:   "client HOST",
		Short: "Run one test against an iperf3-protocol server (like iperf3 -c)",
		Long: `Run one test against "cnibench server" or a stock "iperf3 -s". Flags have
iperf3's names and meanings; -J prints iperf3's JSON schema, so scripts that
parse "iperf3 -J" parse ours.`,
		Example: `  cnibench client 127.0.0.1                 # 10 s TCP test
  cnibench client 127.0.0.1 -t 5 -P 4       # 4 parallel streams
  cnibench client 127.0.0.1 -R              # server sends
  cnibench client 127.0.0.1 -u -b 200M      # UDP at 200 Mbit/s
  cnibench client 127.0.0.1 -J > out.json   # iperf3 -J compatible output
  cnibench client 127.0.0.1 --rtt 20        # idle RTT of 20 handshakes, then the test
  cnibench client 127.0.0.1 --rr -t 5       # request/response latency (cnibench server only)
  cnibench client 127.0.0.1 --crr --rr-rate 1000   # connection per transaction, open loop`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runClient(cmd.Context(), s, args[0], o)
		},
	}
	f := cmd.Flags()
	f.IntVarP(&o.port, "port", "p", engine.DefaultPort, "server port")
	f.IntVarP(&o.duration, "time", "t", 10, "seconds to transmit")
	f.StringVarP(&o.bytes, "bytes", "n", "", "bytes to transmit instead of -t (e.g. 1G)")
	f.StringVarP(&o.blocks, "blockcount", "k", "", "blocks (packets) to transmit instead of -t")
	f.Float64VarP(&o.interval, "interval", "i", 1, "seconds between interval reports (0 = none)")
	f.IntVarP(&o.parallel, "parallel", "P", 1, "parallel streams")
	f.BoolVarP(&o.reverse, "reverse", "R", false, "reverse: the server sends")
	f.BoolVar(&o.bidir, "bidir", false, "both directions at once")
	f.BoolVarP(&o.udp, "udp", "u", false, "use UDP")
	f.StringVarP(&o.rate, "bitrate", "b", "", "target bits/s per stream, K/M/G suffix (UDP default 1M, TCP unlimited)")
	f.StringVarP(&o.length, "length", "l", "", "block (TCP, default 1M; iperf3's is 128K) or datagram (UDP, default: the path MSS) size")
	f.StringVarP(&o.window, "window", "w", "", "socket buffer size (turns kernel autotuning off)")
	f.IntVarP(&o.mss, "set-mss", "M", 0, "TCP maximum segment size")
	f.StringVarP(&o.congestion, "congestion", "C", "", "TCP congestion control algorithm")
	f.BoolVarP(&o.noDelay, "no-delay", "N", false, "set TCP_NODELAY")
	f.BoolVar(&o.udp64, "udp-counters-64bit", false, "64-bit UDP sequence numbers")
	f.BoolVarP(&o.zeroCopy, "zerocopy", "Z", false, "send TCP with sendfile(2) (on loopback it costs more CPU, see docs/performance.md)")
	f.BoolVar(&o.discard, "discard", false, "TCP receivers drop the bytes in the kernel, unread (MSG_TRUNC): the network without the copy every application pays (a cnibench peer only; see docs/performance.md)")
	f.IntVarP(&o.omit, "omit", "O", 0, "seconds of warm-up to leave out of the results")
	f.BoolVarP(&o.ipv4, "version4", "4", false, "IPv4 only")
	f.BoolVarP(&o.ipv6, "version6", "6", false, "IPv6 only")
	f.BoolVarP(&o.json, "json", "J", false, "print the result as iperf3 -J JSON")
	f.StringVarP(&o.title, "title", "T", "", "prefix every output line with this title")
	f.BoolVar(&o.getServerOutput, "get-server-output", false, "fetch and print the server's report")
	f.IntVar(&o.connectTimeout, "connect-timeout", 0, "milliseconds to wait for the control connection (default 30000)")
	f.IntVar(&o.rtt, "rtt", 0, "time N TCP handshakes to the server before the test: the path's idle round-trip time")
	// The kube backend's agent protocol (internal/agent): a whole Spec in, Lines out.
	f.StringVar(&o.specJSON, agent.FlagSpecJSON, "", "the test as an engine.Spec in JSON, replacing the test flags (for the kube backend)")
	f.BoolVar(&o.resultJSON, agent.FlagResultJSON, false, "print intervals and the engine's result as JSON lines (for the kube backend)")
	addLatencyFlags(f, &o.lat)
	_ = f.MarkHidden(agent.FlagSpecJSON)
	_ = f.MarkHidden(agent.FlagResultJSON)
	return cmd
}

// spec turns the flags into an engine.Spec, naming the flag at fault.
func (o clientOptions) spec() (engine.Spec, error) {
	sp := engine.Spec{
		Duration: time.Duration(o.duration) * time.Second, Streams: o.parallel, Reverse: o.reverse, Bidir: o.bidir,
		MSS: o.mss, Congestion: o.congestion, NoDelay: o.noDelay, ZeroCopy: o.zeroCopy, Discard: o.discard, UDPCounters64: o.udp64, Omit: time.Duration(o.omit) * time.Second,
		Title: o.title, GetServerOutput: o.getServerOutput, ConnectTimeout: time.Duration(o.connectTimeout) * time.Millisecond,
		Interval: seconds(o.interval), RTTProbes: o.rtt,
	}
	if o.rtt < 0 || o.rtt > engine.MaxRTTProbes {
		return sp, fmt.Errorf("--rtt %d out of range: use 0..%d", o.rtt, engine.MaxRTTProbes)
	}
	if o.interval == 0 {
		sp.Interval = -1
	}
	if o.duration <= 0 {
		return sp, fmt.Errorf("-t %d: the test needs at least 1 second", o.duration)
	}
	if o.udp {
		sp.Protocol = engine.UDP
	}
	var err error
	if sp.Family, err = o.family(); err != nil {
		return sp, err
	}
	if o.bytes != "" {
		if sp.Bytes, err = parseSize(o.bytes); err != nil {
			return sp, fmt.Errorf("-n: %w", err)
		}
	}
	if o.blocks != "" {
		if sp.Blocks, err = parseSize(o.blocks); err != nil {
			return sp, fmt.Errorf("-k: %w", err)
		}
	}
	if o.rate != "" {
		if sp.Rate, err = units.ParseRate(o.rate); err != nil {
			return sp, fmt.Errorf("-b: %w", err)
		}
	}
	if err := parseSizeFlags([]sizeFlag{{"-l", o.length, &sp.Length}, {"-w", o.window, &sp.Window}}); err != nil {
		return sp, err
	}
	return sp.Normalize()
}

func runClient(ctx context.Context, s Streams, host string, o clientOptions) error {
	sp, err := o.spec()
	if o.specJSON != "" {
		sp, err = agent.DecodeSpec(o.specJSON)
	}
	if err != nil {
		return err
	}
	if o.port < 1 || o.port > 65535 {
		return fmt.Errorf("-p %d out of range: use 1..65535", o.port)
	}
	addr := net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(o.port))
	if o.lat.specJSON != "" {
		return runLatencyAgent(ctx, s, addr, o)
	}
	if mode, err := o.lat.mode(); err != nil || mode != "" {
		if err != nil {
			return err
		}
		return runLatencyClient(ctx, s, addr, mode, o)
	}
	if o.resultJSON {
		return agent.RunClient(ctx, s.Out, addr, sp)
	}
	out := prefixWriter{w: s.Out, prefix: titlePrefix(o.title)}
	c := &engine.Client{}
	if !o.json {
		fmt.Fprintf(out, "Connecting to host %s, port %d\n", host, o.port)
		c.OnConnectRTT = func(r *engine.RTT) { fmt.Fprint(out, engine.FormatConnectRTT(r)) }
		headerDone := false
		c.OnInterval = func(iv engine.Interval) {
			if !headerDone {
				fmt.Fprint(out, engine.IntervalHeader(sp))
				headerDone = true
			}
			fmt.Fprint(out, engine.FormatInterval(iv, sp))
		}
	}
	res, err := c.Run(ctx, addr, sp)
	if err != nil {
		if o.json {
			b, _ := json.MarshalIndent(map[string]string{"error": err.Error()}, "", "\t")
			fmt.Fprintf(s.Out, "%s\n", b)
		}
		return err
	}
	if o.json {
		b, err := engine.MarshalReport(engine.ToReport(res, engine.ClientRole, host))
		if err != nil {
			return err
		}
		_, err = s.Out.Write(b)
		return err
	}
	fmt.Fprint(out, engine.FormatSummary(res, engine.ClientRole))
	if res.ServerOutputText != "" {
		fmt.Fprintf(out, "\nServer output:\n%s", res.ServerOutputText)
	} else if len(res.ServerOutputJSON) > 0 {
		if rep, err := iperf3.ParseReport(res.ServerOutputJSON); err == nil {
			b, _ := engine.MarshalReport(rep)
			fmt.Fprintf(out, "\nServer output:\n%s", b)
		}
	}
	fmt.Fprintln(out, "\ncnibench done.")
	return nil
}

func titlePrefix(t string) string {
	if t == "" {
		return ""
	}
	return t + ":  "
}
