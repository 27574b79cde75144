// Package iperf3 is iperf3's wire protocol as pure encode/decode functions:
// the cookie, control-state bytes, SERVER_ERROR payloads, length-prefixed JSON
// messages, the parameters and results objects, the UDP handshake and datagram
// header, and the client's -J output document. It opens no sockets; the
// engine drives the connections.
//
// The behaviour follows the specification in
// /work/shared/reference/iperf3-protocol.md (baseline iperf3 3.12, with the
// differences of 3.7 … 3.21), whose section numbers (§2 … §8) the comments
// below cite.
//
// Decoders accept everything real iperf3 releases write, in particular the
// number quirks of §3 (see [Int]), and every decoder of bytes from the
// network has a fuzz test.
package iperf3
