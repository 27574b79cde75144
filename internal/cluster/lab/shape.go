package lab

import (
	"errors"
	"fmt"

	"github.com/cnibench/cnibench/internal/netns"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ShapeLink shapes the egress of link ifName in ns to rate bits/s with
// the same tbf as the lab's --link-rate (replacing a tbf there before), so
// other harnesses (the end-to-end cluster) get the lab's ground truth:
// a shaped link measures as its rate less the headers. rate 0 removes
// the shaping.
//
// like: tc qdisc replace dev LINK root tbf rate RATE ... (or tc qdisc del dev LINK root)
func ShapeLink(ns *netns.NS, ifName string, rate uint64) error {
	hs := handles{}
	defer hs.close()
	h, err := hs.of(ns)
	if err != nil {
		return err
	}
	l, err := h.LinkByName(ifName)
	if err != nil {
		return fmt.Errorf("%s in %s: %w", ifName, ns, err)
	}
	qs, err := h.QdiscList(l)
	if err != nil {
		return fmt.Errorf("tc qdisc show dev %s: %w", ifName, err)
	}
	for _, q := range qs {
		if q.Attrs().Parent == netlink.HANDLE_ROOT && q.Type() == "tbf" {
			if err := h.QdiscDel(q); err != nil && !errors.Is(err, unix.ENOENT) {
				return fmt.Errorf("tc qdisc del dev %s root: %w", ifName, err)
			}
		}
	}
	if rate == 0 {
		return nil
	}
	return addTBF(h, l, rate, l.Attrs().MTU)
}
