package stats

// localFloor is the floor of a path that stays inside one node (no
// underlay MTU, not encapsulated), nil for any other path. Such a path
// is compared with the node-local baseline, two host processes on the
// node: no byte of it crosses a link and no header is added, so nothing
// on it is physically more expensive than the baseline: the floor is 0
// (kind none), and whatever it costs is the pod network's work per
// packet (veths, bridge or routes, filters), not a tax.
func localFloor(p PathFacts, proto Protocol) *Floor {
	if p.UnderlayMTU != 0 || p.Encapsulated || p.Datapath == "" {
		return nil
	}
	f := &Floor{Kind: FloorNone, Datapath: p.Datapath, MTU: p.MTU}
	switch proto {
	case TCP:
		f.HeaderBytes = p.ipHeader() + tcpBaseHeader
		if !p.TCPTimestampsOff {
			f.HeaderBytes += tcpTimestamps
		}
	case UDP:
		f.HeaderBytes = p.ipHeader() + udpHeader
		f.Datagram = p.Datagram
	default:
		return nil
	}
	return f
}
