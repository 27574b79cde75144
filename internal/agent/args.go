package agent

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/cnibench/cnibench/internal/engine"
)

// The hidden commands and flags the backend execs in its pods.
const (
	CmdIdle    = "idle"    // wait for SIGTERM: the exec container beside a stock iperf3
	CmdNetinfo = "netinfo" // print the interfaces as JSON (WriteInterfaces)
	CmdProbe   = "probe"   // wait until every ADDR:PORT accepts a TCP connection
	// FlagSpecJSON and FlagResultJSON are the client's hidden flags: the
	// whole engine.Spec in, Lines out.
	FlagSpecJSON   = "spec-json"
	FlagResultJSON = "result-json"
	// FlagLatencySpecJSON is the client's hidden flag for a latency test:
	// the whole engine.LatencySpec in, Lines (Latency or Error) out.
	FlagLatencySpecJSON = "latency-spec-json"
	// FlagProbeTimeout bounds the probe.
	FlagProbeTimeout = "timeout"
)

// ClientArgs is the command line that runs a test from a pod against to:
// `BINARY client ADDR -p PORT --spec-json SPEC --result-json`.
func ClientArgs(binary string, to netip.AddrPort, spec engine.Spec) ([]string, error) {
	sj, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	return []string{binary, "client", to.Addr().String(), "-p", strconv.Itoa(int(to.Port())),
		"--" + FlagSpecJSON, string(sj), "--" + FlagResultJSON}, nil
}

// LatencyArgs is the command line that runs a latency test from a pod
// against to: `BINARY client ADDR -p PORT --latency-spec-json SPEC --result-json`.
func LatencyArgs(binary string, to netip.AddrPort, spec engine.LatencySpec) ([]string, error) {
	sj, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	return []string{binary, "client", to.Addr().String(), "-p", strconv.Itoa(int(to.Port())),
		"--" + FlagLatencySpecJSON, string(sj), "--" + FlagResultJSON}, nil
}

// DecodeLatencySpec reads the client's --latency-spec-json: a whole
// engine.LatencySpec, normalized.
func DecodeLatencySpec(s string) (engine.LatencySpec, error) {
	var sp engine.LatencySpec
	if err := json.Unmarshal([]byte(s), &sp); err != nil {
		return sp, fmt.Errorf("--%s: %w", FlagLatencySpecJSON, err)
	}
	sp, err := sp.Normalize()
	if err != nil {
		return sp, fmt.Errorf("--%s: %w", FlagLatencySpecJSON, err)
	}
	return sp, nil
}

// DecodeSpec reads the client's --spec-json: a whole engine.Spec,
// normalized.
func DecodeSpec(s string) (engine.Spec, error) {
	var sp engine.Spec
	if err := json.Unmarshal([]byte(s), &sp); err != nil {
		return sp, fmt.Errorf("--%s: %w", FlagSpecJSON, err)
	}
	return sp.Normalize()
}

// ProbeArgs is the command line that waits until every address answers.
func ProbeArgs(binary string, timeout time.Duration, addrs []netip.AddrPort) []string {
	cmd := []string{binary, CmdProbe, "--" + FlagProbeTimeout, timeout.String()}
	for _, a := range addrs {
		cmd = append(cmd, a.String())
	}
	return cmd
}

// NetinfoArgs is the command line that prints the pod's interfaces.
func NetinfoArgs(binary string) []string { return []string{binary, CmdNetinfo} }
