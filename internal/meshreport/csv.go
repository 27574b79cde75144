package meshreport

import (
	"encoding/csv"
	"io"
	"strconv"

	"github.com/cnibench/cnibench/internal/meshrecord"
)

// writeCSV lists every directed pair of every scenario, one row each,
// with its nodes' zones and whether either end is an outlier.
func writeCSV(w io.Writer, m *meshrecord.Mesh) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"scenario", "from", "to", "from_zone", "to_zone", "n", "failed", "median_bps", "ci_low_bps", "ci_high_bps", "from_outlier", "to_outlier"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for _, sa := range m.Analysis.Scenarios {
		outlier := map[int]bool{}
		for _, n := range sa.Nodes {
			outlier[n.Node] = n.Outlier
		}
		for _, p := range sa.Pairs {
			med, lo, hi := "", "", ""
			if p.Median != nil {
				med = f(*p.Median)
			}
			if p.CI != nil {
				lo, hi = f(p.CI.Low), f(p.CI.High)
			}
			_ = cw.Write([]string{sa.Scenario, m.NodeName(p.From), m.NodeName(p.To), m.Nodes[p.From].Zone, m.Nodes[p.To].Zone,
				strconv.Itoa(p.N), strconv.Itoa(p.Failed), med, lo, hi, strconv.FormatBool(outlier[p.From]), strconv.FormatBool(outlier[p.To])})
		}
	}
	cw.Flush()
	return cw.Error()
}
