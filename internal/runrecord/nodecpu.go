package runrecord

import "github.com/cnibench/cnibench/internal/stats"

// NodeCPU is the CPU the two measured nodes spent while one throughput
// test ran: /proc/stat read on each node just before the client started
// and just after it returned. That window holds the warm-up (--omit) and
// the connect and results exchange as well as the measured part, so the
// bits charged are those moved over the same window: the measured totals
// plus the omitted intervals' bytes.
type NodeCPU struct {
	WindowSeconds float64      `json:"window_s"`      // between the readings
	BitsSent      float64      `json:"bits_sent"`     // by the sender over the window
	BitsReceived  float64      `json:"bits_received"` // by the receiver over the window
	Nodes         []NodeCPUUse `json:"nodes"`         // client's node, then server's
}

// Node roles and sides.
const (
	RoleClient   = "client"
	RoleServer   = "server"
	SideSender   = "sender"
	SideReceiver = "receiver"
)

// NodeCPUUse is one node's CPU over the window, or why it is unknown.
type NodeCPUUse struct {
	Role string `json:"role"` // client or server: whose node it is
	Node string `json:"node"`
	Side string `json:"side"` // sender or receiver of the measured direction
	// Error says why the node's CPU is unknown (a reading failed); then
	// no figure below is given.
	Error string `json:"error,omitempty"`
	CPUs  int    `json:"cpus,omitempty"`
	// CPU-seconds over the window, all CPUs together, by class (guest
	// time is inside user).
	User    float64 `json:"user_s"`
	System  float64 `json:"system_s"`
	SoftIRQ float64 `json:"softirq_s"`
	IRQ     float64 `json:"irq_s"`
	Steal   float64 `json:"steal_s"`
	Idle    float64 `json:"idle_s"`
	// Busy is the share of the node's CPU capacity that was not idle, 0..1.
	Busy float64 `json:"busy"`
	// PerGbit and SoftIRQPerGbit are busy and softirq CPU-seconds per
	// gigabit of the node's side: sent for the sender, received for the
	// receiver; absent when no bit moved.
	PerGbit        *float64 `json:"per_gbit,omitempty"`
	SoftIRQPerGbit *float64 `json:"softirq_per_gbit,omitempty"`
}

// Failed reports whether the node's CPU is unknown.
func (u NodeCPUUse) Failed() bool { return u.Error != "" }

// statsNodeCPU is what the statistics read of a sample's node CPU.
func (c *NodeCPU) statsNodeCPU() (sender, receiver *stats.NodeCPUFigures, failed string) {
	for _, n := range c.Nodes {
		if n.Failed() {
			if failed == "" {
				failed = n.Node + ": " + n.Error
			}
			continue
		}
		f := &stats.NodeCPUFigures{Busy: n.Busy}
		if n.PerGbit != nil && n.SoftIRQPerGbit != nil {
			f.PerGbit, f.SoftIRQPerGbit, f.Moved = *n.PerGbit, *n.SoftIRQPerGbit, true
		}
		switch n.Side {
		case SideSender:
			sender = f
		case SideReceiver:
			receiver = f
		}
	}
	return sender, receiver, failed
}
