package engine

import "sync/atomic"

// Mode names say how one side moved its bytes when that differs from a
// plain read or write per block or datagram. Every result records the
// modes its side used (Result.Modes), so a report never compares, say, a
// zero-copy sender with a copying one without saying so. Only tcp-discard
// changes what an application would receive (nothing: the kernel drops
// the bytes); sendfile skips the sender's copy.
const (
	ModeTCPRcvLowat = "tcp-rcvlowat" // TCP reader woken per batch (rcvlowat.go)
	ModeUDPGSO      = "udp-gso"      // UDP written in segmented batches (udpgso.go)
	ModeUDPGRO      = "udp-gro"      // UDP read in coalesced batches (udpgro.go)
	ModeSendfile    = "sendfile"     // TCP sent with sendfile(2), -Z
	ModeTCPDiscard  = "tcp-discard"  // TCP received without the copy to the program, --discard (discard.go)
)

// mode is one of the names above as a bit of a modeSet.
type mode uint32

const (
	modeTCPRcvLowat mode = 1 << iota
	modeUDPGSO
	modeUDPGRO
	modeSendfile
	modeTCPDiscard
)

var modeNames = []struct {
	bit  mode
	name string
}{{modeTCPRcvLowat, ModeTCPRcvLowat}, {modeUDPGSO, ModeUDPGSO}, {modeUDPGRO, ModeUDPGRO}, {modeSendfile, ModeSendfile}, {modeTCPDiscard, ModeTCPDiscard}}

// modeSet is the modes a test's streams used. use is called from the hot
// loops (per read, per batch): once a bit is set it costs one plain load.
type modeSet struct{ bits atomic.Uint32 }

func (m *modeSet) use(b mode) {
	if m.bits.Load()&uint32(b) == 0 {
		m.bits.Or(uint32(b))
	}
}

func (m *modeSet) names() []string {
	var out []string
	b := m.bits.Load()
	for _, n := range modeNames {
		if b&uint32(n.bit) != 0 {
			out = append(out, n.name)
		}
	}
	return out
}
