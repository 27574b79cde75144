package engine

import "sync/atomic"

// Mode names say how one side moved its bytes when that differs from a
// plain read or write per block or datagram. Every result records the
// modes its side used (Result.Modes), so a report never compares, say, a
// zero-copy sender with a copying one without saying so. None changes what
// an application would receive; sendfile skips the sender's copy.
const (
	ModeTCPRcvLowat = "tcp-rcvlowat" // TCP reader woken per batch (rcvlowat.go)
	ModeUDPGSO      = "udp-gso"      // UDP written in segmented batches (udpgso.go)
	ModeUDPGRO      = "udp-gro"      // UDP read in coalesced batches (udpgro.go)
	ModeSendfile    = "sendfile"     // TCP sent with sendfile(2), -Z
)

var modeNames = []string{ModeTCPRcvLowat, ModeUDPGSO, ModeUDPGRO, ModeSendfile}

// modeSet is the modes a test's streams used, one bit per name.
type modeSet struct{ bits atomic.Uint32 }

func (m *modeSet) use(name string) {
	for i, n := range modeNames {
		if n == name {
			m.bits.Or(1 << i)
		}
	}
}

func (m *modeSet) names() []string {
	var out []string
	b := m.bits.Load()
	for i, n := range modeNames {
		if b&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}
