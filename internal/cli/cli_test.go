package cli

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/iperf3"
)

// run executes the root command with args and returns stdout, stderr and the exit status.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func TestVersion(t *testing.T) {
	out, _, code := run(t, "version")
	if code != 0 || !strings.Contains(out, "cnibench") || !strings.Contains(out, "go:") {
		t.Fatalf("version: code %d, %q", code, out)
	}
}

func TestHelpHasExamples(t *testing.T) {
	root := NewRootCommand(Streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
	for _, c := range root.Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		if c.Example == "" && c.HasSubCommands() == false {
			t.Errorf("command %q has no examples in --help", c.Name())
		}
	}
}

func TestClientFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"client", "127.0.0.1", "-b", "fast"}, "-b"},
		{[]string{"client", "127.0.0.1", "-l", "x"}, "-l"},
		{[]string{"client", "127.0.0.1", "-4", "-6"}, "-4 and -6"},
		{[]string{"client", "127.0.0.1", "-P", "1000"}, "streams 1000"},
		{[]string{"client", "127.0.0.1", "-R", "--bidir"}, "exclusive"},
		{[]string{"client", "127.0.0.1", "-t", "0"}, "-t 0"},
		{[]string{"client", "127.0.0.1", "-p", "70000"}, "-p 70000"},
		{[]string{"client"}, "arg"},
		{[]string{"server", "-p", "0"}, "port 0"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, errOut, code := run(t, tc.args...)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("code %d, stderr %q, want it to mention %q", code, errOut, tc.want)
			}
		})
	}
}

// TestClientAgainstServer runs the two commands against each other.
func TestClientAgainstServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = (&engine.Server{}).Serve(ctx, ln); close(done) }()
	defer func() { cancel(); <-done }()

	out, errOut, code := run(t, "client", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "1", "-T", "lab")
	if code != 0 {
		t.Fatalf("client: %d %s", code, errOut)
	}
	for _, want := range []string{"lab:  Connecting to host 127.0.0.1", "sender", "receiver", "Gbits/sec"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, errOut, code = run(t, "client", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "1", "-J", "-u", "-b", "10M")
	if code != 0 {
		t.Fatalf("client -J: %d %s", code, errOut)
	}
	rep, err := iperf3.ParseReport([]byte(out))
	if err != nil || rep.End.SumReceived == nil || rep.End.SumReceived.Bytes == 0 {
		t.Fatalf("-J output not an iperf3 report: %v\n%s", err, out)
	}
}

func TestClientRefusedPort(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	start := time.Now()
	_, errOut, code := run(t, "client", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "1")
	if code == 0 || !strings.Contains(errOut, "refused") || time.Since(start) > 5*time.Second {
		t.Fatalf("code %d after %v: %q", code, time.Since(start), errOut)
	}
}

// TestPluginUsage: as the kubectl plugin, usage lines say kubectl cnibench.
func TestPluginUsage(t *testing.T) {
	var out, errw strings.Builder
	if code := MainAs("kubectl cnibench", []string{"run", "--help"}, strings.NewReader(""), &out, &errw); code != 0 {
		t.Fatalf("exit %d: %s", code, errw.String())
	}
	if !strings.Contains(out.String(), "kubectl cnibench run [flags]") {
		t.Errorf("usage does not say kubectl cnibench:\n%s", out.String()[:min(len(out.String()), 600)])
	}
}
