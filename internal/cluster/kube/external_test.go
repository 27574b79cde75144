package kube

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestParseExternalServer(t *testing.T) {
	tests := []struct {
		in, host string
		port     int
		wantErr  string
	}{
		{"198.18.0.200", "198.18.0.200", 5201, ""},
		{"198.18.0.200:5301", "198.18.0.200", 5301, ""},
		{"iperf.example.com", "iperf.example.com", 5201, ""},
		{"[fd00::5]:5202", "fd00::5", 5202, ""},
		{"fd00::5", "fd00::5", 5201, ""},
		{"", "", 0, "empty"},
		{"host:0", "", 0, `port "0"`},
		{"host:http", "", 0, `port "http"`},
		{":5201", "", 0, "no host"},
	}
	for _, tt := range tests {
		host, port, err := ParseExternalServer(tt.in)
		if host != tt.host || port != tt.port || (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%q: %q %d %v; want %q %d error ~%q", tt.in, host, port, err, tt.host, tt.port, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "use HOST[:PORT]") {
			t.Errorf("%q: %v does not say the form", tt.in, err)
		}
	}
}

// TestExternalServer: the external server is the last endpoint, New checks
// it answers from node A's host network and its first pod, StartServer
// starts nothing and targets HOST:PORT, and Expose gives it no Services.
func TestExternalServer(t *testing.T) {
	f := newFake(t, twoNodes()...)
	cfg := f.config()
	cfg.ExternalServer = "198.18.0.200:5301"
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	ctx := context.Background()
	eps, _ := c.Endpoints(ctx)
	ext := eps[len(eps)-1]
	if ext.Name != "external" || ext.Kind != cluster.ExternalEndpoint || ext.Addrs[0].String() != "198.18.0.200" {
		t.Fatalf("last endpoint %+v, want the external server", ext)
	}
	var probed []string
	for i, cmd := range f.exec.calls {
		if cmd[1] == "probe" {
			probed = append(probed, f.exec.pods[i]+" "+cmd[len(cmd)-1])
		}
	}
	if want := []string{"host-1 198.18.0.200:5301", "pod-1a 198.18.0.200:5301"}; !slices.Equal(probed, want) {
		t.Errorf("probed %v, want %v", probed, want)
	}
	srv, err := c.StartServer(ctx, ext, 0)
	if err != nil {
		t.Fatal(err)
	}
	if tg := srv.Target(); tg.Kind != cluster.DirectTarget || tg.Addr.String() != "198.18.0.200:5301" || tg.Backend.Name != "external" {
		t.Errorf("target %+v", tg)
	}
	if ts, err := c.Expose(ctx, srv); len(ts) != 0 || err != nil {
		t.Errorf("Expose of the external server: %v, %v; want none, no error", ts, err)
	}
	if _, err := c.RunClient(ctx, ext, srv.Target(), engine.Spec{}); err == nil || !strings.Contains(err.Error(), `no endpoint "external" to run a client in`) {
		t.Errorf("a client on the external server: %v", err)
	}
}

func TestExternalServerRefused(t *testing.T) {
	for _, tt := range []struct {
		name, server, wantErr string
		probeFails            bool
	}{
		{"not a host", "a:b:c", `external server "a:b:c": not a host`, false},
		{"brackets", "[198.18.0.200", `not a host`, false},
		{"does not answer", "198.18.0.200", "198.18.0.200:5201 does not answer from node-1's host network after 10s: run `cnibench server`", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, twoNodes()...)
			if tt.probeFails {
				f.exec.probe = func(cmd []string, stderr io.Writer) error {
					io.WriteString(stderr, "Error: "+cmd[4]+": not reachable after 10s: i/o timeout")
					return errors.New("command terminated with exit code 1")
				}
			}
			cfg := f.config()
			cfg.ExternalServer = tt.server
			_, err := New(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New: %v, want ~%q", err, tt.wantErr)
			}
			var se *SettingError
			if !errors.As(err, &se) || se.Setting != SettingExternalServer {
				t.Errorf("%v is not the external server's SettingError", err)
			}
			if ns, _ := f.cs.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{}); len(ns.Items) != 0 {
				t.Errorf("left %d namespaces behind", len(ns.Items))
			}
		})
	}
}

// TestTrafficPolicyLocal: with Local the NodePort on the node without the
// backend is not probed (it never answers) and a client against it fails
// at once, saying why; the backend's own node's NodePort still runs.
func TestTrafficPolicyLocal(t *testing.T) {
	f := newFake(t, twoNodes()...)
	cfg := f.config()
	cfg.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	ctx := context.Background()
	eps, _ := c.Endpoints(ctx)
	srv, err := c.StartServer(ctx, eps[2], 0) // pod-1a
	if err != nil {
		t.Fatal(err)
	}
	ts, err := c.Expose(ctx, srv)
	if err != nil || len(ts) != 3 {
		t.Fatalf("Expose: %v, %v", ts, err)
	}
	np, _ := f.cs.CoreV1().Services(c.Namespace()).Get(ctx, "pod-1a-np", metav1.GetOptions{})
	if np.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal {
		t.Errorf("NodePort Service's policy %q", np.Spec.ExternalTrafficPolicy)
	}
	for i, cmd := range f.exec.calls {
		if cmd[1] == "probe" && slices.Contains(cmd, ts[2].Addr.String()) {
			t.Errorf("%s probed the NodePort on node-2, which has no backend: %v", f.exec.pods[i], cmd)
		}
	}
	_, err = c.RunClient(ctx, eps[2], ts[2], engine.Spec{})
	if err == nil || !strings.Contains(err.Error(), "has no backend there (it runs on node-1) and externalTrafficPolicy is Local") {
		t.Errorf("client against node-2's NodePort: %v", err)
	}
	if _, err := c.RunClient(ctx, eps[2], ts[1], engine.Spec{}); err != nil {
		t.Errorf("client against node-1's NodePort: %v", err)
	}
	cfg.ExternalTrafficPolicy = "Nowhere"
	if _, err := New(ctx, cfg); err == nil || !strings.Contains(err.Error(), `external traffic policy "Nowhere": use Cluster or Local`) {
		t.Errorf("a bad policy: %v", err)
	}
}

// TestServesFamily: a NodePort answers only at node addresses of its
// Service's families (a single-stack IPv4 Service on a dual-stack cluster
// refuses the nodes' IPv6 addresses); a Service that records no families
// is taken to answer in any.
func TestServesFamily(t *testing.T) {
	v4, v6 := netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("fd00:198:20::1")
	for _, tc := range []struct {
		families []corev1.IPFamily
		addr     netip.Addr
		want     bool
	}{
		{[]corev1.IPFamily{corev1.IPv4Protocol}, v4, true},
		{[]corev1.IPFamily{corev1.IPv4Protocol}, v6, false},
		{[]corev1.IPFamily{corev1.IPv6Protocol}, v4, false},
		{[]corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}, v6, true},
		{nil, v6, true},
	} {
		svc := &corev1.Service{Spec: corev1.ServiceSpec{IPFamilies: tc.families}}
		if got := servesFamily(svc, tc.addr); got != tc.want {
			t.Errorf("families %v at %s: %v, want %v", tc.families, tc.addr, got, tc.want)
		}
	}
}
