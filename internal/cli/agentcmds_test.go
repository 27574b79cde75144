package cli

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/agent"
)

func TestProbe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	open := ln.Addr().String()
	// A port that was open a moment ago and is closed now: refused.
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln2.Addr().String()
	ln2.Close()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"open port", []string{"probe", open}, 0, open + " reachable after", ""},
		{"closed port times out", []string{"probe", "--timeout", "300ms", open, closed}, 1, open + " reachable", closed + ": not reachable after"},
		{"not an address", []string{"probe", "localhost"}, 1, "", `probe "localhost": want ADDR:PORT`},
		{"no address", []string{"probe"}, 1, "", "requires at least 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := run(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout ~%q, stderr ~%q", code, out, errOut, tt.wantCode, tt.wantOut, tt.wantErr)
			}
		})
	}
}

// TestCPUStat runs the hidden command as a pod would, and reads its line
// back with the backend's reader.
func TestCPUStat(t *testing.T) {
	out, errOut, code := run(t, "cpustat")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got, err := agent.ReadCPUStat([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if got.CPUs < 1 || got.Idle == 0 {
		t.Errorf("cpustat read %+v from this machine", got)
	}
	if _, errOut, code := run(t, "cpustat", "extra"); code == 0 || !strings.Contains(errOut, "unknown command") && !strings.Contains(errOut, "accepts 0 arg") {
		t.Errorf("cpustat with an argument: exit %d, %q", code, errOut)
	}
}

func TestProxyModeCommand(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("iptables"))
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, closed, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"kube-proxy answers", []string{"proxymode", "--port", port}, 0, "iptables\n", ""},
		{"nothing listens", []string{"proxymode", "--port", closed}, 1, "", "no kube-proxy at http://127.0.0.1:" + closed + "/proxyMode"},
		{"no arguments", []string{"proxymode", "198.18.0.2"}, 1, "", "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := run(t, tt.args...)
			if code != tt.wantCode || out != tt.wantOut || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr ~%q", code, out, errOut, tt.wantCode, tt.wantOut, tt.wantErr)
			}
		})
	}
}
