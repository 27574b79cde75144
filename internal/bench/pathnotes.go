package bench

import (
	"fmt"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// addPathNotes puts on the rows of issue 14's paths what their figures do
// not say themselves: a remote NodePort's extra hop, and why pod-external
// pays no header tax on an encapsulating datapath. Each note goes first,
// so that a row's last warning still explains a missing overhead.
func addPathNotes(rec *runrecord.Run) {
	for i := range rec.Summaries {
		s := &rec.Summaries[i]
		if n, ok := pathNote(s.Key.Scenario, rec.Path(s.Key.Variant, s.Key.Scenario)); ok {
			s.Warnings = append([]stats.Warning{n}, s.Warnings...)
		}
	}
}

// pathNote is the note of a scenario's rows over path (nil: not recorded).
func pathNote(scenario string, path *runrecord.Path) (stats.Warning, bool) {
	switch scenario {
	case "pod-nodeport-remote":
		return stats.Warning{Code: stats.NoteExtraHop, Message: "extra hop: NodePort on node B, backend on A; with externalTrafficPolicy " +
			"Cluster, B forwards to A and SNATs to its own address (the backend never sees the client's): the link twice, node-node's once " +
			"(with Local, B would drop it)"}, true
	case "pod-external":
		if path == nil || path.Encapsulated || !cluster.Datapath(path.Datapath).Encapsulates() {
			return stats.Warning{}, false
		}
		return stats.Warning{Code: stats.NoteNoHeaderTax, Message: fmt.Sprintf("no header tax although the pod network is %s: "+
			"traffic out of the cluster leaves node A unencapsulated through the node's SNAT, like node-external", path.Datapath)}, true
	}
	return stats.Warning{}, false
}
