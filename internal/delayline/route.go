package delayline

import (
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Route makes the namespace of h send every packet that arrives on link in
// through the TUN device tun (already open, see OpenTUN), and route what the
// line writes back on by the main table as usual:
//
//	ip link set TUN up
//	ip rule add iif IN lookup TABLE            (IPv4 and IPv6)
//	ip route add default dev TUN table TABLE   (IPv4 and IPv6)
//
// Only that direction is delayed; route the other one through a second
// line for a symmetric delay. The namespace must forward, and must not drop
// what comes back in on tun by reverse-path filtering (rp_filter 0 on tun
// and "all"): those are sysctls, which the caller sets.
func Route(h *netlink.Handle, tun, in string, table int) error {
	link, err := h.LinkByName(tun)
	if err != nil {
		return fmt.Errorf("delay line device %s: %w", tun, err)
	}
	if err := h.LinkSetUp(link); err != nil {
		return fmt.Errorf("ip link set %s up: %w", tun, err)
	}
	for _, fam := range []struct {
		family int
		any    *net.IPNet
	}{
		{unix.AF_INET, &net.IPNet{IP: net.IPv4zero, Mask: net.CIDRMask(0, 32)}},
		{unix.AF_INET6, &net.IPNet{IP: net.IPv6zero, Mask: net.CIDRMask(0, 128)}},
	} {
		rule := netlink.NewRule()
		rule.Family, rule.IifName, rule.Table, rule.Priority = fam.family, in, table, 100
		if err := h.RuleAdd(rule); err != nil {
			return fmt.Errorf("ip rule add iif %s lookup %d: %w", in, table, err)
		}
		r := &netlink.Route{LinkIndex: link.Attrs().Index, Dst: fam.any, Table: table, Family: fam.family}
		if err := h.RouteAdd(r); err != nil {
			return fmt.Errorf("ip route add default dev %s table %d: %w", tun, table, err)
		}
	}
	return nil
}
