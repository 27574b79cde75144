package metrics

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/runrecord/runrecordtest"
	"github.com/cnibench/cnibench/internal/stats"
)

// gatewayStub answers pushes with the statuses given, one per request,
// and records the requests. A unit test of the retry policy; the real
// Pushgateway is in prometheus_test.go.
type gatewayStub struct {
	mu       sync.Mutex
	statuses []int
	paths    []string
	bodies   []string
}

func (g *gatewayStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, _ := io.ReadAll(r.Body)
	g.paths = append(g.paths, r.Method+" "+r.URL.Path)
	g.bodies = append(g.bodies, string(b))
	status := http.StatusOK
	if len(g.statuses) > 0 {
		status, g.statuses = g.statuses[0], g.statuses[1:]
	}
	w.WriteHeader(status)
}

func TestPushRetries(t *testing.T) {
	run := runrecordtest.Build(runrecordtest.Options{Variants: []string{""}, Scenarios: []string{"node-node", "pod-pod-cross"}, Protocols: []stats.Protocol{stats.TCP}, Repeats: 3})
	fast := []time.Duration{time.Millisecond, time.Millisecond}
	tests := []struct {
		name      string
		statuses  []int
		wantCalls int
		wantErr   string
	}{
		{"first try", nil, 1, ""},
		{"an outage, then up", []int{503, 502}, 3, ""},
		{"down for every attempt", []int{503, 503, 503}, 3, "attempt 3: unexpected status code 503"},
		{"refused: not retried", []int{400}, 1, "unexpected status code 400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stub := &gatewayStub{statuses: tt.statuses}
			srv := httptest.NewServer(stub)
			defer srv.Close()
			err := Push(context.Background(), run, PushOptions{URL: srv.URL, Backoff: fast, Labels: map[string]string{"cluster": "ci"}})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Push: %v, want %q", err, tt.wantErr)
			}
			if len(stub.paths) != tt.wantCalls {
				t.Fatalf("%d requests, want %d", len(stub.paths), tt.wantCalls)
			}
			p := stub.paths[0]
			if !strings.HasPrefix(p, "PUT /metrics/job/cnibench/") || !strings.Contains(p+"/", "/cluster/ci/") || !strings.Contains(p+"/", "/run_id/"+run.ID+"/") {
				t.Errorf("pushed to %q, want a PUT to job cnibench, grouping key cluster=ci and run_id=%s", p, run.ID)
			}
		})
	}
}

func TestPushErrors(t *testing.T) {
	build := func(id string) *runrecord.Run {
		r := runrecordtest.Build(runrecordtest.Options{Variants: []string{""}, Scenarios: []string{"node-node"}, Protocols: []stats.Protocol{stats.TCP}, Repeats: 1})
		r.ID = id
		return r
	}
	// A port nothing listens on: connection refused at once.
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name, url, id string
		labels        map[string]string
		wantErr       string
	}{
		{"unreachable", closed.URL, "r1", nil, "attempt 3: Put \"" + closed.URL},
		{"not a URL", "pushgateway:9091", "r1", nil, `push URL "pushgateway:9091": want the Pushgateway's address like http://pushgateway:9091`},
		{"no run id", closed.URL, "", nil, "no id"},
		{"unknown label", closed.URL, "r1", map[string]string{"team": "net"}, `label "team" cannot be set: use one of run_id, cluster,`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Push(context.Background(), build(tt.id), PushOptions{URL: tt.url, Labels: tt.labels, Backoff: []time.Duration{time.Millisecond, time.Millisecond}})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Push: %v, want %q", err, tt.wantErr)
			}
		})
	}
}
