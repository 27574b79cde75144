package report

import (
	"strings"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
	"github.com/cnibench/cnibench/internal/units"
)

// blockLine says the bytes per write and per datagram the run's tests
// used, for every report's header: the block size changes CPU-bound
// results. "" when no test measured anything.
func blockLine(run *runrecord.Run) string {
	sizes := run.BlockSizes()
	var parts []string
	for _, p := range []struct {
		proto stats.Protocol
		what  string
	}{{stats.TCP, "TCP writes of "}, {stats.UDP, "UDP datagrams of "}} {
		if ns := sizes[p.proto]; len(ns) > 0 {
			var s []string
			for _, n := range ns {
				s = append(s, units.FormatSize(n))
			}
			parts = append(parts, p.what+strings.Join(s, " or "))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "block size: " + strings.Join(parts, ", ")
}

// modesLine names how the run's tests moved their bytes beyond a plain
// read or write per block (runrecord.Run.Modes), for every report's
// header, and says so plainly when TCP receivers discarded what they got
// (--discard): that goodput lacks the copy every application pays, and
// is not comparable with a copying run's. "" when the tests used no mode.
func modesLine(run *runrecord.Run) string {
	modes, discarded := run.Modes()
	if len(modes) == 0 && !discarded {
		return ""
	}
	line := "modes: " + strings.Join(modes, ", ")
	if len(modes) == 0 {
		line = "modes: none reported"
	}
	if discarded {
		line += " · " + discardNote
	}
	return line
}

// discardNote says what --discard changes, wherever a report names it.
const discardNote = "TCP receivers discarded the bytes unread (--discard): goodput without the copy every application pays"
