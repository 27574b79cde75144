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
)

// TestServerShutdown checks that cancelling the server (what SIGINT and
// SIGTERM do through Main's signal context) stops it cleanly, even with a
// test running, and that the running test's client is told.
func TestServerShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- runServer(ctx, Streams{Out: &out, Err: &out}, serverOptions{port: port, bind: "127.0.0.1", maxTests: 2, maxStreams: 8, maxDuration: time.Minute, handshakeTimeout: time.Second})
	}()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	clientErr := make(chan error, 1)
	go func() {
		var err error
		for range 50 { // until the server listens
			_, err = (&engine.Client{}).Run(context.Background(), addr, engine.Spec{Duration: 10 * time.Second})
			if err == nil || !strings.Contains(err.Error(), "refused") {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		clientErr <- err
	}()
	time.Sleep(time.Second) // the test is running
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("server returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server did not stop within 5 s of the signal")
	}
	select {
	case err := <-clientErr:
		if err == nil || !strings.Contains(err.Error(), "SERVER_TERMINATE") {
			t.Errorf("client error %v, want it to say the server terminated the test", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("client still waiting 5 s after the server stopped")
	}
}
