package cluster

import (
	"context"
	"fmt"
	"os/exec"
)

// ImportImage imports an image tarball into every node's containerd of
// the cluster st records, the way Up imports the harness's own images, so
// pods can run it with imagePullPolicy Never or IfNotPresent.
func ImportImage(ctx context.Context, st *State, tarball string) error {
	p := paths(st.Config.RunDir)
	n := st.Config.Nodes
	if n == 0 {
		n = DefaultNodes
	}
	for i := 1; i <= n; i++ {
		cmd := exec.CommandContext(ctx, "ctr", "-a", p.containerdSock(i), "-n", "k8s.io", "images", "import", tarball)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: ctr images import %s: %w: %s", NodeName(i), tarball, err, b)
		}
	}
	return nil
}
