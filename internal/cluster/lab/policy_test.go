package lab

import (
	"testing"

	"github.com/google/nftables"
	vnetns "github.com/vishvananda/netns"
)

// TestManyPolicyRules builds a lab with more policy rules than fit one
// netlink batch (the socket's buffers cap a batch, and its acks, at about
// 200 KiB) and counts them in a node's forward chain.
func TestManyPolicyRules(t *testing.T) {
	const rules = 1000
	l := newLab(t, Config{Nodes: 2, PodsPerNode: 1, PolicyRules: rules})
	c, err := nftables.New(nftables.WithNetNSFd(int(vnetns.NsHandle(l.nodes[0].ns.Fd()))))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetRules(&nftables.Table{Name: tableName(l.cfg.ID), Family: nftables.TableFamilyIPv4}, &nftables.Chain{Name: "forward"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < rules {
		t.Errorf("node-1's forward chain holds %d rules, want at least the %d policy rules", len(got), rules)
	}
}
