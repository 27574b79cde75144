package agent

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestReadProxyMode(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{"iptables", "iptables", ""},
		{"nftables\n", "nftables", ""},
		{"  ipvs ", "ipvs", ""},
		{"", "", "answered nothing"},
		{"<html>404</html>", "", "not a mode"},
		{"IPTABLES", "", "not a mode"},
		{strings.Repeat("a", 65), "", "65 bytes"},
	}
	for _, tt := range tests {
		got, err := ReadProxyMode([]byte(tt.in))
		if got != tt.want || (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("ReadProxyMode(%q) = %q, %v; want %q, error ~%q", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestProxyMode(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/proxyMode" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("nftables"))
	}))
	defer srv.Close()
	addr := netip.MustParseAddrPort(srv.Listener.Addr().String())
	if got, err := ProxyMode(context.Background(), addr); got != "nftables" || err != nil {
		t.Errorf("ProxyMode = %q, %v; want nftables", got, err)
	}
	if _, err := ProxyMode(context.Background(), netip.MustParseAddrPort("198.18.0.2:10249")); err == nil || !strings.Contains(err.Error(), "loopback only") {
		t.Errorf("a non-loopback address: %v, want refused", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close()
	if _, err := ProxyMode(context.Background(), closed); err == nil || !strings.Contains(err.Error(), "no kube-proxy at") {
		t.Errorf("nothing listening: %v, want no kube-proxy", err)
	}
}

// FuzzReadProxyMode: whatever listens on the port answers; a mode read is
// one short word, and reads back the same.
func FuzzReadProxyMode(f *testing.F) {
	for _, s := range []string{"iptables", "nftables\n", "", "404 page not found\n", "\x00\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ReadProxyMode(b)
		if err != nil {
			if m != "" {
				t.Fatalf("mode %q with error %v", m, err)
			}
			return
		}
		if m == "" || len(m) > maxProxyMode || strings.ContainsAny(m, " \n\t") {
			t.Fatalf("mode %q from %q", m, b)
		}
		if again, err := ReadProxyMode([]byte(m)); again != m || err != nil {
			t.Fatalf("mode %q reads back as %q, %v", m, again, err)
		}
	})
}
