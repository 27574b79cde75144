// Package testenv lets tests that need root, network namespaces or a real
// iperf3 skip with a reason on a laptop, and fail instead of skipping when
// CNIBENCH_REQUIRE_PRIVILEGED=1 (CI sets it), so CI cannot pass by skipping.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// Required reports whether skipping is forbidden in this environment.
func Required() bool { return os.Getenv("CNIBENCH_REQUIRE_PRIVILEGED") == "1" }

// SkipOrFail skips t with reason, or fails it when skipping is forbidden.
func SkipOrFail(t testing.TB, reason string) {
	t.Helper()
	if Required() {
		t.Fatalf("CNIBENCH_REQUIRE_PRIVILEGED=1 but %s", reason)
	}
	t.Skip(reason)
}

// MustBeRoot skips (or fails, see SkipOrFail) unless the test runs as root.
func MustBeRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		SkipOrFail(t, "test needs root (network namespaces, veth, nftables)")
	}
}

// MustHaveIperf3 returns the path of the iperf3 binary, or skips (or fails).
func MustHaveIperf3(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("iperf3")
	if err != nil {
		SkipOrFail(t, "iperf3 not installed (apt-get install iperf3)")
	}
	return p
}
