package agent

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/engine"
)

// TestRunClientReportsError: a client that cannot reach its server writes
// its error as the last line, and the backend's reader returns that same
// error. (A measured test is checked end to end by cli's client tests.)
func TestRunClientReportsError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	var buf bytes.Buffer
	runErr := RunClient(context.Background(), &buf, closed, engine.Spec{Duration: time.Second, ConnectTimeout: time.Second})
	if runErr == nil {
		t.Fatal("a client against a closed port succeeded")
	}
	if _, err := ReadLines(&buf, nil); err == nil || err.Error() != runErr.Error() {
		t.Errorf("read back %v, want %v", err, runErr)
	}
}
