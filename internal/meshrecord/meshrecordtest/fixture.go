// Package meshrecordtest makes mesh records for tests of the packages
// that read them: deterministic figures, no cluster.
package meshrecordtest

import (
	"fmt"
	"math"
	"time"

	"github.com/cnibench/cnibench/internal/meshrecord"
)

// Options shape a fixture.
type Options struct {
	Nodes   int
	Zones   []string // assigned round-robin; nil = no zone labels
	Slow    int      // index of a node at a fifth of the rate; -1 = none
	Rate    float64  // bits/s of a healthy pair
	PodCost float64  // pod-pod-cross's share lost against node-node
	Repeats int
	Fail    [2]int // a directed pair whose tests fail; {0, 0} = none
}

// Mesh is a complete record of a full tournament under o, with a small
// deterministic spread so no two figures are equal.
func Mesh(o Options) *meshrecord.Mesh {
	start := time.Date(2026, 12, 4, 20, 0, 0, 0, time.UTC)
	m := &meshrecord.Mesh{SchemaVersion: meshrecord.SchemaVersion, ID: "fixture", Started: start, Complete: true,
		Cluster: meshrecord.Cluster{Kind: "lab", Name: "lab-fixture", Facts: []string{"emulated on one host"}}}
	m.Version.Version = "test"
	for i := range o.Nodes {
		n := meshrecord.Node{Name: fmt.Sprintf("node-%d", i+1)}
		if len(o.Zones) > 0 {
			n.Zone = o.Zones[i%len(o.Zones)]
			n.InstanceType = "m5.large"
		}
		m.Nodes = append(m.Nodes, n)
	}
	m.Plan = meshrecord.Plan{Scenarios: meshrecord.Scenarios, Protocol: "tcp", Streams: 1, Duration: 1, Repeats: o.Repeats, Seed: 1}
	// the circle method by hand, so the fixture does not depend on mesh's
	n := o.Nodes + o.Nodes%2
	for r := range n - 1 {
		var round [][2]int
		for i := range n / 2 {
			a, b := (r+i)%(n-1), (r+n-1-i)%(n-1)
			if i == 0 {
				b = n - 1
			}
			if a >= o.Nodes || b >= o.Nodes {
				continue
			}
			round = append(round, [2]int{min(a, b), max(a, b)})
		}
		m.Plan.Rounds = append(m.Plan.Rounds, round)
	}
	at := start
	for step, st := range m.Plan.Steps() {
		for _, p := range m.Plan.Directed(st) {
			rate := o.Rate
			if p[0] == o.Slow || p[1] == o.Slow {
				rate /= 5
			}
			if st.Scenario == meshrecord.PodPodCross {
				rate *= 1 - o.PodCost
			}
			rate *= 1 + 0.02*math.Sin(float64(7*p[0]+3*p[1]+11*st.Repeat))
			t := meshrecord.Test{Step: step, Repeat: st.Repeat, Scenario: st.Scenario, From: p[0], To: p[1], Start: at, Wall: 1.1}
			if o.Fail != [2]int{} && p == o.Fail {
				t.Error = "connect: connection refused"
			} else {
				t.Goodput = &rate
			}
			m.Tests = append(m.Tests, t)
		}
		at = at.Add(1100 * time.Millisecond)
	}
	m.Finished = at
	return m
}
