package iperf3

import "testing"

// keyPaths is KeyPaths for tests: a document that is not JSON fails t.
func keyPaths(t *testing.T, b []byte) []string {
	t.Helper()
	p, err := KeyPaths(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
