package metrics

import (
	"encoding/json"
	"strings"

	"github.com/cnibench/cnibench/internal/runrecord"
)

// Label names. Run labels are on every series; variant and group labels on
// the series of one scenario group.
var (
	runLabels     = []string{"run_id", "cluster", "cluster_kind", "kernel", "kubernetes_version", "node_a", "node_b", "cnibench_version"}
	variantLabels = []string{"variant", "cni", "datapath"}
	groupLabels   = []string{"scenario", "protocol", "streams"}
)

// labLabel is the cluster label of every lab run: the lab's own name is new
// in every run, so it could not select a history.
const labLabel = "lab"

// runLabelValues are the run labels' values, in runLabels' order, with
// override applied.
func runLabelValues(r *runrecord.Run, override map[string]string) []string {
	c := r.Cluster
	cluster := c.Name
	if c.Kind == labLabel {
		cluster = labLabel
	}
	var nodes [2]string
	pair := r.Plan.Nodes
	if len(pair) == 0 {
		pair = c.Nodes
	}
	copy(nodes[:], pair)
	d := details(c.Details, "")
	values := []string{r.ID, cluster, c.Kind, c.Kernel, d.KubernetesVersion, nodes[0], nodes[1], r.CnibenchVersion.Version}
	return overridden(runLabels, values, override)
}

// variantLabelValues are the variant labels' values for a variant of r.
func variantLabelValues(r *runrecord.Run, variant string) []string {
	d := details(r.Cluster.Details, variant)
	datapath := d.CNI.Datapath
	if datapath == "" {
		datapath = d.Datapath
	}
	if datapath == "" { // a lab variant named after its datapath: "datapath=vxlan"
		for _, kv := range strings.Split(variant, ",") {
			if k, v, ok := strings.Cut(kv, "="); ok && k == "datapath" {
				datapath = v
			}
		}
	}
	return []string{variant, d.CNI.Name, datapath}
}

func overridden(names, values []string, override map[string]string) []string {
	for i, n := range names {
		if v, ok := override[n]; ok {
			values[i] = v
		}
	}
	return values
}

// clusterDetails are the fields of a backend's details the labels use: the
// lab's datapath, kube's version and CNI. The record holds details as the
// backend's own type while a run is in memory and as plain JSON once read
// back, so they are read through JSON either way.
type clusterDetails struct {
	Datapath          string `json:"datapath"`
	KubernetesVersion string `json:"kubernetes_version"`
	CNI               struct {
		Name     string `json:"name"`
		Datapath string `json:"datapath"`
	} `json:"cni"`
}

// variantDetails is one entry of the details of a run of several variants.
type variantDetails struct {
	Variant string          `json:"variant"`
	Details json.RawMessage `json:"details"`
}

// details reads the details of variant (or of the only cluster); the zero
// value when the record has none or they are not what this reader knows.
func details(raw any, variant string) clusterDetails {
	var d clusterDetails
	b, err := json.Marshal(raw)
	if err != nil || len(b) == 0 || b[0] != '[' {
		_ = json.Unmarshal(b, &d) // a shape this reader does not know leaves d empty
		return d
	}
	var list []variantDetails
	_ = json.Unmarshal(b, &list)
	for _, v := range list {
		if v.Variant == variant || variant == "" {
			_ = json.Unmarshal(v.Details, &d)
			return d
		}
	}
	return d
}
