// Package runid names runs: one short random ID per run, which every
// backend carries in the names of what it makes (a lab's namespaces, a
// Kubernetes namespace) and the run record keeps, so a leftover can be
// traced to its run.
package runid

import "crypto/rand"

// Len is the length of a new ID: short enough that a lab variant's ID
// (the run ID plus one character) stays within a lab ID's 8 characters.
const Len = 6

// New returns a random ID of Len lowercase letters and digits.
func New() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, Len)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
