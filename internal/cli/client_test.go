package cli

import (
	"bufio"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/agent"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/iperf3"
)

// TestClientRTT: --rtt N prints the connect RTT line above the test in the
// text output, leaves -J as iperf3's schema, and reaches --result-json.
func TestClientRTT(t *testing.T) {
	port := serveLoopback(t)

	t.Run("text", func(t *testing.T) {
		out, errOut, code := run(t, "client", "127.0.0.1", "-p", port, "-t", "1", "--rtt", "5", "-T", "lab")
		if code != 0 {
			t.Fatalf("client: %d %s", code, errOut)
		}
		line := regexp.MustCompile(`(?m)^lab:  Connect RTT: 5 probes, min \d+ µs, median \d+ µs, p90 \d+ µs, max \d+ µs$`)
		loc := line.FindStringIndex(out)
		if loc == nil {
			t.Fatalf("no connect RTT line:\n%s", out)
		}
		if hdr := strings.Index(out, "[ ID]"); hdr < loc[1] || strings.Index(out, "Connecting to host") > loc[0] {
			t.Errorf("the connect RTT line is not between \"Connecting\" and the test:\n%s", out)
		}
		t.Logf("%s", out[loc[0]:loc[1]])
	})
	t.Run("json", func(t *testing.T) {
		out, errOut, code := run(t, "client", "127.0.0.1", "-p", port, "-t", "1", "--rtt", "5", "-J")
		if code != 0 {
			t.Fatalf("client -J: %d %s", code, errOut)
		}
		if _, err := iperf3.ParseReport([]byte(out)); err != nil {
			t.Fatalf("-J output not an iperf3 report: %v\n%s", err, out)
		}
		if strings.Contains(out, "rtt_probes") || strings.Contains(out, "connect_rtt") || strings.Contains(out, "Connect RTT") {
			t.Errorf("-J output carries the connect RTT:\n%s", out)
		}
	})
	t.Run("result-json", func(t *testing.T) {
		out, errOut, code := run(t, "client", "127.0.0.1", "-p", port, "--result-json",
			"--spec-json", `{"protocol":"tcp","duration":1000000000,"streams":1,"length":0,"rtt_probes":5}`)
		if code != 0 {
			t.Fatalf("client --result-json: %d %s", code, errOut)
		}
		var res *engine.Result
		sc := bufio.NewScanner(strings.NewReader(out))
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var l agent.Line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			if l.Result != nil {
				res = l.Result
			}
		}
		if res == nil || res.ConnectRTT == nil || res.ConnectRTT.Probes != 5 || len(res.ConnectRTT.SamplesUs) != 5 || res.ConnectRTT.MedianUs <= 0 {
			t.Fatalf("result without the connect RTT: %+v\n%s", res, out)
		}
	})
}

func TestClientRTTFlag(t *testing.T) {
	for _, tc := range []struct {
		rtt  int
		want string // error text, "" = accepted
	}{
		{0, ""}, {20, ""}, {engine.MaxRTTProbes, ""},
		{-1, "--rtt -1 out of range: use 0..1000"},
		{engine.MaxRTTProbes + 1, "--rtt 1001 out of range: use 0..1000"},
	} {
		sp, err := clientOptions{duration: 1, parallel: 1, interval: 1, rtt: tc.rtt}.spec()
		switch {
		case tc.want == "" && (err != nil || sp.RTTProbes != tc.rtt):
			t.Errorf("--rtt %d: RTTProbes %d, err %v", tc.rtt, sp.RTTProbes, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("--rtt %d: err %v, want %q", tc.rtt, err, tc.want)
		}
	}
}
