package kube

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/testenv"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
)

// TestPreflight: a real client against loopback API servers that cannot
// be used, and the fake one for what the API server answers.
func TestPreflight(t *testing.T) {
	status := func(code int, body string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			_, _ = w.Write([]byte(body))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	unauthorized := status(http.StatusUnauthorized, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`)
	broken := status(http.StatusInternalServerError, `oops`)
	closed := "https://" + testenv.ClosedPort(t)
	for _, tc := range []struct {
		name string
		host string
		want string
	}{
		{"nothing listens", closed, "cannot reach the API server at " + closed + ": dial tcp"},
		{"credentials refused", unauthorized.URL, "you must be logged in to the server at " + unauthorized.URL + " (Unauthorized)"},
		{"server error", broken.URL, "cannot reach the API server at " + broken.URL + ": "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := kubernetes.NewForConfig(&rest.Config{Host: tc.host, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			err = Preflight(context.Background(), cs, tc.host)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}

	f := newFake(t, twoNodes()...)
	if err := Preflight(context.Background(), f.cs, "https://cluster.example"); err != nil {
		t.Fatalf("a usable cluster: %v", err)
	}
	f.cs.PrependReactor("list", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", errors.New(`User "bob" cannot list resource "nodes"`))
	})
	err := Preflight(context.Background(), f.cs, "https://cluster.example")
	if err == nil || !strings.Contains(err.Error(), `cannot list resource "nodes"`) || !strings.Contains(err.Error(), "deploy/rbac.yaml") {
		t.Fatalf("no right to list nodes: %v", err)
	}
}
