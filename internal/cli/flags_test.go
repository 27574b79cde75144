package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestRateSpellings: every rate flag takes iperf3's and tc's spellings,
// and the plan prints the rate one way.
func TestRateSpellings(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--protocol", "udp", "--udp-rate", "500mbit"}, "UDP at 500 Mbit/s per stream"},
		{[]string{"--protocol", "udp", "--udp-rate", "500M"}, "UDP at 500 Mbit/s per stream"},
		{[]string{"--protocol", "udp", "--udp-rate", "1.5G"}, "UDP at 1.5 Gbit/s per stream"},
		{[]string{"--protocol", "udp", "--udp-rate", "10mbps"}, "UDP at 80 Mbit/s per stream"}, // tc: megabytes/s
		{[]string{"--link-rate", "1G"}, "uplinks shaped to 1 Gbit/s"},
		{[]string{"--link-rate", "100mbps"}, "uplinks shaped to 800 Mbit/s"},
		{[]string{"--link-rate", "0"}, "uplinks unshaped"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, err := runCommand(t, newRunCommand, append([]string{"--dry-run"}, tc.args...)...)
			if err != nil || !strings.Contains(out, tc.want) {
				t.Fatalf("%v %s: output lacks %q:\n%s", err, errOut, tc.want, out)
			}
		})
	}
}

// TestClusterTiming: the lab keeps its fast defaults, a real cluster gets
// iperf3's 10 s with 1 s of warm-up, and explicit flags win over both.
func TestClusterTiming(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "each test: 1s measured after 0s warm-up"},
		{[]string{"--cluster", "kube"}, "each test: 10s measured after 1s warm-up"},
		{[]string{"--cluster", "kube", "--duration", "3s"}, "each test: 3s measured after 1s warm-up"},
		{[]string{"--cluster", "kube", "--omit", "0"}, "each test: 10s measured after 0s warm-up"},
		{[]string{"--omit", "2s", "--duration", "5"}, "each test: 5s measured after 2s warm-up"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, err := runCommand(t, newRunCommand, append([]string{"--dry-run"}, tc.args...)...)
			if err != nil || !strings.Contains(out, tc.want) {
				t.Fatalf("%v %s: output lacks %q:\n%s", err, errOut, tc.want, out)
			}
		})
	}
	_, _, err := runCommand(t, newRunCommand, "--dry-run", "--cluster", "kube", "--duration", "0")
	if err == nil || !strings.Contains(err.Error(), "duration 0s") {
		t.Errorf("--duration 0 on kube: %v, want the duration error", err)
	}
}

// TestTextOrJSON: version and lab status print JSON with -o json, as every
// other command does, and the older --json still works, with a note.
func TestTextOrJSON(t *testing.T) {
	for _, args := range [][]string{{"version", "-o", "json"}, {"version", "--json"}} {
		out, errOut, code := run(t, args...)
		var v map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["version"] == nil {
			t.Errorf("%v: code %d, %q %q", args, code, out, errOut)
		}
		if deprecated := strings.Contains(errOut, "cnibench: --json is deprecated: use -o json"); deprecated != (args[1] == "--json") {
			t.Errorf("%v: stderr %q", args, errOut)
		}
	}
	if _, errOut, code := run(t, "version", "-o", "yaml"); code != 1 || !strings.Contains(errOut, "-o yaml: use -o text or -o json") {
		t.Errorf("version -o yaml: code %d, %q", code, errOut)
	}
	if out, _, _ := run(t, "version", "--help"); strings.Contains(out, "--json") {
		t.Errorf("--json is shown in help:\n%s", out)
	}
}
