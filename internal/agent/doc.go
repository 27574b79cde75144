// Package agent is the protocol between the kube backend and the
// cnibench binary it runs inside its pods, both ends in one place: the
// command lines the backend execs (ClientArgs, ProbeArgs, NetinfoArgs),
// the lines the pod's client writes and the backend reads (Line,
// LineWriter, ReadLines), the interfaces netinfo reports (NetInterface),
// and the pod-side work behind the hidden commands (RunClient, Interfaces,
// ProbeAll). The image holds nothing but the cnibench binary, so these
// stand in for a shell, nc and ip.
//
// Both ends build from this package, so a change to the protocol is one
// change here; an image of another version is caught by ReadLines.
package agent
