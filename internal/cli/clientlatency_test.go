package cli

import (
	"context"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/engine"
)

// TestClientLatency: --rr/--crr/--udp-rr print sockperf-like text, -J the
// engine's LatencyResult, and flags that do not apply are refused.
func TestClientLatency(t *testing.T) {
	port := serveLoopback(t)
	for _, mode := range []string{"--rr", "--crr", "--udp-rr"} {
		out, errOut, code := run(t, "client", "127.0.0.1", "-p", port, mode, "--rr-count", "200", "-T", "lab")
		if code != 0 {
			t.Fatalf("client %s: %d %s", mode, code, errOut)
		}
		for _, want := range []string{"lab:  cnibench " + strings.TrimPrefix(mode, "--") + " to 127.0.0.1:" + port, "transactions", "---> percentile 99.000 =", "µs"} {
			if !strings.Contains(out, want) {
				t.Errorf("client %s: no %q in\n%s", mode, want, out)
			}
		}
	}
	out, errOut, code := run(t, "client", "127.0.0.1", "-p", port, "--rr", "--rr-count", "100", "--req-size", "100", "--resp-size", "2K", "-J")
	if code != 0 {
		t.Fatalf("client --rr -J: %d %s", code, errOut)
	}
	var res engine.LatencyResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Transactions != 100 || res.Spec.ResponseSize != 2048 || res.P50Us <= 0 {
		t.Errorf("-J: %v %+v\n%s", err, res, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--rr", "--crr"}, "exclude each other"},
		{[]string{"--rr", "-u"}, "use --udp-rr"},
		{[]string{"--rr", "-P", "2"}, "-P does not apply"},
		{[]string{"--udp-rr", "--req-size", "8"}, "16.."},
		{[]string{"--rr", "--rr-rate", "-1"}, "must not be negative"},
	} {
		_, errOut, code := run(t, append([]string{"client", "127.0.0.1", "-p", port}, tc.args...)...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("client %v: exit %d, stderr %q; want an error with %q", tc.args, code, errOut, tc.want)
		}
	}
}

// serveLoopback runs a cnibench server on a loopback port until the test
// ends and returns the port.
func serveLoopback(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = (&engine.Server{}).Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}
