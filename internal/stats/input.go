package stats

// Protocol is the transport a group measured; its JSON is the engine's
// name ("tcp", "udp").
type Protocol string

const (
	TCP Protocol = "tcp"
	UDP Protocol = "udp"
)

// Sample is one successful test as the statistics read it: numbers only,
// mapped from the run record's result by its reader (runrecord), so stats
// depends on no engine or cluster type.
type Sample struct {
	Goodput     float64 // bits/s of the measured direction, as the receiver saw it
	Retransmits int64   // the sender's TCP retransmissions; negative when unknown
	LostPercent float64 // UDP: datagrams lost, %
	JitterMs    float64 // UDP: the receiver's jitter
	// SenderCPU and ReceiverCPU are each side's CPU use in percent of one
	// core (both 0: not reported).
	SenderCPU, ReceiverCPU float64
	// RTTProbes is how many connect-RTT probes the test asked for,
	// RTTSamples how many connected, RTTMedianUs their median (µs).
	RTTProbes, RTTSamples int
	RTTMedianUs           float64
	// OfferedBps is what a paced (UDP) test was told to send in all, bits/s
	// (rate × streams); 0 when it was not paced.
	OfferedBps float64
	// Round is the round of the run's interleaved order the sample ran in
	// (1-based): samples of one round ran side by side and share its drift,
	// so the overhead pairs each with the baseline of its round. 0 when
	// unknown: a sequential order, an older record, a round a resumed run
	// measured in two attempts (left out of the pairing).
	Round int
	// SentBps is what the sender achieved, bits/s; 0 when unknown.
	SentBps float64
	// SenderNode and ReceiverNode are the CPU of each side's node over
	// the test; nil when not measured or its reading failed, and then
	// NodeCPUFailed says why.
	SenderNode, ReceiverNode *NodeCPUFigures
	NodeCPUFailed            string
}

// PathFacts are what a floor needs to know of the network a group crossed
// (the run record's path, described by cluster.Path) and of its tests, as
// plain values.
type PathFacts struct {
	Datapath     string // cluster.Datapath's name: "vxlan", "routed", …
	Encapsulated bool
	HeaderTax    int // bytes of encapsulation per packet on the underlay
	MTU          int // the sender's interface MTU; 0 when unknown
	UnderlayMTU  int // 0 when the path stays inside one node

	IPVersion int // 4 or 6: the family of the tests' target address (0 = 4)
	// TCPTimestampsOff says the TCP timestamps option was off. The engine
	// does not record it, so readers assume Linux's default, on.
	TCPTimestampsOff bool
	Datagram         int // UDP: payload bytes per datagram; 0 = unknown
}
