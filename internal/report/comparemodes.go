package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cnibench/cnibench/internal/runrecord"
)

// compareModes sets c.ModesDiffer when the two sides moved their bytes
// differently, and, with the gate on, makes a side that discarded TCP
// bytes unread (--discard) against one that read them undecidable: its
// goodput lacks the copy every application pays, so the change would be
// the copy's, not the network's. Other modes (a batch read, GSO, GRO)
// follow the kernel and the build; they are named, not blocked.
func (c *Comparison) compareModes(old, new []*runrecord.Run, gated bool) {
	om, od := sideModes(old)
	nm, nd := sideModes(new)
	if slices.Equal(om, nm) && od == nd {
		return
	}
	c.ModesDiffer = fmt.Sprintf("the sides name different modes (old: %s; new: %s)", modeList(om), modeList(nm))
	if od != nd {
		which := "new"
		if od {
			which = "old"
		}
		why := fmt.Sprintf("only the %s run(s) discarded TCP bytes unread (--discard): that goodput lacks the copy every application pays, so a change may be the copy, not the network", which)
		c.ModesDiffer += "; " + why
		if gated {
			c.CannotJudge = append(c.CannotJudge, why+" (compare runs made with the same --discard)")
		}
	}
}

// sideModes are the modes of every run of a side, sorted, each once, and
// whether any of them discarded.
func sideModes(runs []*runrecord.Run) (modes []string, discard bool) {
	var lists [][]string
	for _, r := range runs {
		m, d := r.Modes()
		lists, discard = append(lists, m), discard || d
	}
	return runrecord.UnionModes(lists...), discard
}

func modeList(modes []string) string {
	if len(modes) == 0 {
		return "none"
	}
	return strings.Join(modes, ", ")
}
