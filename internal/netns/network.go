package netns

import (
	"context"
	"fmt"
	"net"
	"net/netip"
)

// Network is a namespace as the engine sees it (it satisfies
// engine.Network): Do runs the engine's socket code inside NS. Each socket
// is created on a thread switched into NS and keeps that namespace for its
// whole life, whichever thread later reads or writes it.
//
// Dial, Listen and ListenPacket are shortcuts for code outside the engine.
// Addresses must be IP literals (or an empty host to listen on all): a name
// would be resolved by helper goroutines outside the namespace.
type Network struct {
	NS *NS
}

// Do runs fn inside the namespace (see the package function Do).
func (n Network) Do(fn func() error) error { return Do(n.NS, fn) }

// Dial connects from inside the namespace.
func (n Network) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	if err := literal(address, false); err != nil {
		return nil, err
	}
	var c net.Conn
	err := Do(n.NS, func() error {
		var d net.Dialer
		var err error
		c, err = d.DialContext(ctx, network, address)
		return err
	})
	return c, err
}

// Listen listens inside the namespace.
func (n Network) Listen(ctx context.Context, network, address string) (net.Listener, error) {
	if err := literal(address, true); err != nil {
		return nil, err
	}
	var l net.Listener
	err := Do(n.NS, func() error {
		var lc net.ListenConfig
		var err error
		l, err = lc.Listen(ctx, network, address)
		return err
	})
	return l, err
}

// ListenPacket opens a packet socket inside the namespace.
func (n Network) ListenPacket(ctx context.Context, network, address string) (net.PacketConn, error) {
	if err := literal(address, true); err != nil {
		return nil, err
	}
	var pc net.PacketConn
	err := Do(n.NS, func() error {
		var lc net.ListenConfig
		var err error
		pc, err = lc.ListenPacket(ctx, network, address)
		return err
	})
	return pc, err
}

// literal accepts "ip:port" (and ":port" when listening).
func literal(address string, listen bool) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("address %q: %w", address, err)
	}
	if host == "" && listen {
		return nil
	}
	if _, err := netip.ParseAddr(host); err != nil {
		return fmt.Errorf("address %q: use an IP address inside a namespace, not a name", address)
	}
	return nil
}
