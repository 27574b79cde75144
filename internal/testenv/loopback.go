package testenv

import (
	"net"
	"testing"
)

// ClosedPort is a loopback address, 127.0.0.1:PORT, nothing listens on:
// the one safe place to test what "unreachable" does.
func ClosedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
