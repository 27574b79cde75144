package lab

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/cnibench/cnibench/internal/netns"
	"github.com/vishvananda/netlink"
)

// Port is one namespace plugged into a switch built by BuildSwitch.
type Port struct {
	NS     *netns.NS    // the namespace that gets the interface
	Name   string       // the switch side of the veth
	IfName string       // the interface's name inside NS (e.g. eth0)
	Addr   netip.Prefix // its address, e.g. 198.18.0.1/24
}

// BuildSwitch is the lab's switch for other harnesses (the end-to-end
// Kubernetes cluster): a bridge in sw and, for each port, a veth whose
// other end is brought up and addressed inside the port's namespace (with
// its loopback up). It waits until every veth is operationally up. It does
// not roll back: removing sw removes the bridge and every veth.
//
// like: ip link add BRIDGE type bridge; ip link add NAME type veth peer name IFNAME netns NS;
// ip link set NAME master BRIDGE; ip -n NS addr add ADDR dev IFNAME; ip -n NS link set IFNAME up
func BuildSwitch(ctx context.Context, sw *netns.NS, bridge string, mtu int, ports []Port) error {
	hs := handles{}
	defer hs.close()
	swh, err := hs.of(sw)
	if err != nil {
		return err
	}
	br, err := addBridge(swh, bridge, mtu)
	if err != nil {
		return err
	}
	for _, p := range ports {
		port, err := addVeth(swh, p.Name, mtu, nil, p.IfName, p.NS, mtu)
		if err != nil {
			return err
		}
		if err := setMaster(swh, port, br); err != nil {
			return err
		}
		h, err := hs.of(p.NS)
		if err != nil {
			return err
		}
		if _, err := linkUp(h, "lo"); err != nil {
			return err
		}
		up, err := linkUp(h, p.IfName)
		if err != nil {
			return err
		}
		if err := addAddr(h, up, p.Addr); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for _, p := range ports {
		h, err := hs.of(p.NS)
		if err != nil {
			return err
		}
		for {
			l, err := h.LinkByName(p.IfName)
			if err != nil {
				return fmt.Errorf("ip link show %s: %w", p.IfName, err)
			}
			if l.Attrs().OperState == netlink.OperUp {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("link %s in %s not up: %w", p.IfName, p.NS, ctx.Err())
			case <-time.After(time.Millisecond):
			}
		}
	}
	return nil
}
