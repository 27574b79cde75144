// Package engine is cnibench's measuring engine: an iperf3-wire-compatible
// server and client, usable in-process (the lab runs it inside network
// namespaces, the kube backend inside pods) and from the CLI.
//
// Each data stream runs on its own goroutine so parallel streams use all
// cores, and one Server runs many tests at once within its Limits.
package engine
