package cluster

import (
	"fmt"
	"path/filepath"

	"github.com/cnibench/cnibench/internal/cluster/lab"
	"github.com/cnibench/cnibench/internal/netns"
)

// ShapeUplinks shapes the egress of every node's uplink to the switch to
// rate bits/s with the lab's tbf (0 removes it), so a test on this real
// cluster measures a known link instead of this machine's CPU, and can be
// held to the same ground truth as the lab.
func ShapeUplinks(st *State, rate uint64) error {
	n := st.Config.Nodes
	if n == 0 {
		n = DefaultNodes
	}
	for i := 1; i <= n; i++ {
		ns, err := netns.Open(filepath.Join(netns.RunDir, nodeNSName(i)))
		if err != nil {
			return fmt.Errorf("%s: %w", NodeName(i), err)
		}
		err = lab.ShapeLink(ns, nodeIfName, rate)
		ns.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", NodeName(i), err)
		}
	}
	return nil
}
