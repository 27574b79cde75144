package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cnibench/cnibench/internal/agent"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/spf13/pflag"
)

// latencyOptions are `cnibench client`'s flags for one latency test.
type latencyOptions struct {
	rr, crr, udpRR    bool
	reqSize, respSize string
	rate              float64
	transactions      int64
	// hidden, for the kube backend: a whole LatencySpec in, one Line out
	specJSON string
}

func addLatencyFlags(f *pflag.FlagSet, o *latencyOptions) {
	f.BoolVar(&o.rr, "rr", false, "latency: request/response on one TCP connection (needs cnibench server)")
	f.BoolVar(&o.crr, "crr", false, "latency: a new TCP connection per request/response, like netperf TCP_CRR")
	f.BoolVar(&o.udpRR, "udp-rr", false, "latency: request/response UDP datagrams")
	f.StringVar(&o.reqSize, "req-size", "", "latency: request bytes (default 1, udp-rr 16; -l sets both sizes)")
	f.StringVar(&o.respSize, "resp-size", "", "latency: response bytes (default 1, udp-rr 16)")
	f.Float64Var(&o.rate, "rr-rate", 0, "latency: open loop at this many transactions/s, timed from each one's intended start (default closed loop)")
	f.Int64Var(&o.transactions, "rr-count", 0, "latency: stop after this many transactions (or -t, whichever first)")
	f.StringVar(&o.specJSON, agent.FlagLatencySpecJSON, "", "the latency test as an engine.LatencySpec in JSON, replacing the test flags (for the kube backend)")
	_ = f.MarkHidden(agent.FlagLatencySpecJSON)
}

// runLatencyAgent is the kube backend's latency test in a pod: the spec
// from --latency-spec-json, the result as one JSON line (internal/agent).
func runLatencyAgent(ctx context.Context, s Streams, addr string, o clientOptions) error {
	if !o.resultJSON {
		return fmt.Errorf("--%s needs --%s", agent.FlagLatencySpecJSON, agent.FlagResultJSON)
	}
	sp, err := agent.DecodeLatencySpec(o.lat.specJSON)
	if err != nil {
		return err
	}
	return agent.RunLatency(ctx, s.Out, addr, sp)
}

// mode is the latency test asked for, "" for none.
func (o latencyOptions) mode() (engine.LatencyMode, error) {
	var modes []engine.LatencyMode
	for _, m := range []struct {
		on   bool
		mode engine.LatencyMode
	}{{o.rr, engine.RR}, {o.crr, engine.CRR}, {o.udpRR, engine.UDPRR}} {
		if m.on {
			modes = append(modes, m.mode)
		}
	}
	if len(modes) > 1 {
		return "", errors.New("--rr, --crr and --udp-rr exclude each other: choose one")
	}
	if len(modes) == 0 {
		return "", nil
	}
	return modes[0], nil
}

// latencySpec turns the flags into an engine.LatencySpec, naming the flag at fault.
func (o clientOptions) latencySpec(mode engine.LatencyMode) (engine.LatencySpec, error) {
	sp := engine.LatencySpec{Mode: mode, Duration: time.Duration(o.duration) * time.Second, Rate: o.lat.rate,
		Transactions: o.lat.transactions, ConnectTimeout: time.Duration(o.connectTimeout) * time.Millisecond}
	for _, bad := range []struct {
		set        bool
		flag, hint string
	}{
		{o.udp, "-u", "use --udp-rr"}, {o.reverse, "-R", "requests and responses go both ways"},
		{o.bidir, "--bidir", "requests and responses go both ways"}, {o.parallel != 1, "-P", "run one test per connection"},
		{o.rate != "", "-b", "use --rr-rate for transactions/s"},
	} {
		if bad.set {
			return sp, fmt.Errorf("%s does not apply to a latency test: %s", bad.flag, bad.hint)
		}
	}
	var err error
	if sp.Family, err = o.family(); err != nil {
		return sp, err
	}
	req, resp := cmp.Or(o.lat.reqSize, o.length), cmp.Or(o.lat.respSize, o.length)
	if err := parseSizeFlags([]sizeFlag{{"--req-size", req, &sp.RequestSize}, {"--resp-size", resp, &sp.ResponseSize}}); err != nil {
		return sp, err
	}
	return sp.Normalize()
}

// family reads -4 and -6.
func (o clientOptions) family() (engine.Family, error) {
	switch {
	case o.ipv4 && o.ipv6:
		return engine.AnyFamily, errors.New("-4 and -6 exclude each other: choose one")
	case o.ipv4:
		return engine.IPv4, nil
	case o.ipv6:
		return engine.IPv6, nil
	}
	return engine.AnyFamily, nil
}

// sizeFlag is a size flag's name, its value as given ("" = not given) and
// where the parsed size goes.
type sizeFlag struct {
	flag, val string
	dst       *int
}

// parseSizeFlags parses each given size, naming the flag at fault.
func parseSizeFlags(flags []sizeFlag) error {
	for _, x := range flags {
		if x.val == "" {
			continue
		}
		v, err := parseSize(x.val)
		if err != nil {
			return fmt.Errorf("%s: %w", x.flag, err)
		}
		*x.dst = int(v)
	}
	return nil
}

// runLatencyClient runs one latency test and prints it as text, or as the
// engine's LatencyResult in JSON with -J.
func runLatencyClient(ctx context.Context, s Streams, addr string, mode engine.LatencyMode, o clientOptions) error {
	sp, err := o.latencySpec(mode)
	if err != nil {
		return err
	}
	res, err := (&engine.Client{}).RunLatency(ctx, addr, sp)
	if o.json {
		v := any(res)
		if err != nil {
			v = map[string]string{"error": err.Error()}
		}
		b, _ := json.MarshalIndent(v, "", "\t")
		fmt.Fprintf(s.Out, "%s\n", b)
		return err
	}
	if err != nil {
		return err
	}
	fmt.Fprint(prefixWriter{w: s.Out, prefix: titlePrefix(o.title)}, engine.FormatLatency(res))
	return nil
}
