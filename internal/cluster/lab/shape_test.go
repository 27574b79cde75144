package lab

import (
	"testing"

	"github.com/cnibench/cnibench/internal/netns"
	"github.com/cnibench/cnibench/internal/testenv"
	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// TestShapeLink shapes a veth, reshapes it, and removes the shaping.
func TestShapeLink(t *testing.T) {
	testenv.MustBeRoot(t)
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(vnetns.NsHandle(ns.Fd()), unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "d0", MTU: 1500}, PeerName: "d1"}); err != nil {
		t.Fatal(err)
	}
	l, _ := h.LinkByName("d0")
	rootRate := func() uint64 {
		qs, err := h.QdiscList(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			if tbf, ok := q.(*netlink.Tbf); ok && q.Attrs().Parent == netlink.HANDLE_ROOT {
				return tbf.Rate * 8
			}
		}
		return 0
	}
	for _, rate := range []uint64{1e9, 200e6, 0, 0, 500e6} {
		if err := ShapeLink(ns, "d0", rate); err != nil {
			t.Fatalf("shape to %d: %v", rate, err)
		}
		if got := rootRate(); got != rate {
			t.Errorf("after ShapeLink(%d): tbf rate %d", rate, got)
		}
	}
	if err := ShapeLink(ns, "nope", 1e9); err == nil {
		t.Error("shaping a missing link: no error")
	}
}
