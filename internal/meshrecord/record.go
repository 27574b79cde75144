// Package meshrecord is the record of a `cnibench mesh` (schema
// cnibench.mesh/v1): the nodes, the round plan, every test's figure, and
// the analysis a report prints (pair medians, node scores, outliers, zone
// pairs). Like runrecord it is read without the code that measured it: it
// imports neither the cluster nor the engine.
package meshrecord

import (
	"strconv"
	"time"

	"github.com/cnibench/cnibench/internal/version"
)

// SchemaVersion is the record's schema.
const SchemaVersion = "cnibench.mesh/v1"

// The scenarios a mesh measures per pair.
const (
	NodeNode    = "node-node"     // host network to host network: the bare path
	PodPodCross = "pod-pod-cross" // a pod on one node to a pod on the other
)

// Scenarios are the mesh's scenarios, baseline first.
var Scenarios = []string{NodeNode, PodPodCross}

// Mesh is one mesh measurement.
type Mesh struct {
	SchemaVersion string       `json:"schema_version"`
	ID            string       `json:"id"`
	CommandLine   []string     `json:"command_line,omitempty"`
	Version       version.Info `json:"version"`
	Started       time.Time    `json:"started"`
	Finished      time.Time    `json:"finished,omitzero"`
	// Complete is false while the mesh runs and when it was interrupted
	// or stopped by an error (Error says which).
	Complete bool    `json:"complete"`
	Error    string  `json:"error,omitempty"`
	Cluster  Cluster `json:"cluster"`
	// Nodes are the nodes measured, in the order the plan indexes them.
	Nodes []Node `json:"nodes"`
	// Skipped are the nodes left out, with why (NotReady, cordoned, …).
	Skipped []Skipped `json:"skipped,omitempty"`
	Plan    Plan      `json:"plan"`
	Tests   []Test    `json:"tests"`
	// Analysis is filled in when the record is written by a report (JSON
	// output, --out-dir); readers recompute it with Analyze.
	Analysis *Analysis `json:"analysis,omitempty"`
}

// Cluster is what the record keeps of the cluster measured.
type Cluster struct {
	Kind     string   `json:"kind"` // lab or kube
	Name     string   `json:"name"`
	Facts    []string `json:"facts,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// Node is one node measured, with its topology labels when it has them.
type Node struct {
	Name         string `json:"name"`
	Zone         string `json:"zone,omitempty"`
	InstanceType string `json:"instance_type,omitempty"`
}

// Skipped is a node the mesh left out.
type Skipped struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Plan is what the mesh measures.
type Plan struct {
	Scenarios []string `json:"scenarios"`
	Protocol  string   `json:"protocol"`
	Streams   int      `json:"streams"`
	Duration  Seconds  `json:"duration"`
	Omit      Seconds  `json:"omit"`
	Repeats   int      `json:"repeats"`
	// SamplePairs is K of --sample-pairs (each node against K peers); 0 =
	// every pair.
	SamplePairs int    `json:"sample_pairs,omitempty"`
	Seed        uint64 `json:"seed"`
	// Rounds are the tournament's rounds, each a set of pairs of node
	// indices that share no node. Each round runs once per direction,
	// scenario and repeat: see Steps.
	Rounds [][][2]int `json:"rounds"`
}

// Seconds is a duration recorded as seconds.
type Seconds float64

// Duration is s as a time.Duration.
func (s Seconds) Duration() time.Duration { return time.Duration(float64(s) * float64(time.Second)) }

// Test is one directed test of a pair.
type Test struct {
	Step     int    `json:"step"` // which step of the plan (Plan.Steps) it ran in, from 0
	Repeat   int    `json:"repeat"`
	Scenario string `json:"scenario"`
	From     int    `json:"from"` // node indices: From sends, To receives
	To       int    `json:"to"`
	// Goodput is the rate at the receiver in bits/s; absent when the test
	// failed (Error says why).
	Goodput *float64  `json:"goodput,omitempty"`
	Error   string    `json:"error,omitempty"`
	Start   time.Time `json:"start"`
	// Wall is how long the test took, setup included, in seconds.
	Wall Seconds `json:"wall"`
}

// Step is one parallel batch of tests: a round of the tournament in one
// direction for one scenario and repeat. Every pair of the round sends A→B
// in the forward step and B→A in the reverse one.
type Step struct {
	Repeat   int
	Round    int
	Reverse  bool
	Scenario string
}

// Steps lists the plan's steps in the order they run: repeat by repeat,
// round by round, forward then reverse, the scenarios of one direction
// back to back so a pair's pod and node figures are taken minutes apart
// at most.
func (p Plan) Steps() []Step {
	var out []Step
	for rep := range p.Repeats {
		for r := range p.Rounds {
			for _, rev := range []bool{false, true} {
				for _, sc := range p.Scenarios {
					out = append(out, Step{Repeat: rep, Round: r, Reverse: rev, Scenario: sc})
				}
			}
		}
	}
	return out
}

// Directed is the round's tests in the step's direction: [from, to].
func (p Plan) Directed(s Step) [][2]int {
	var out [][2]int
	for _, pr := range p.Rounds[s.Round] {
		if s.Reverse {
			pr[0], pr[1] = pr[1], pr[0]
		}
		out = append(out, pr)
	}
	return out
}

// New starts a record.
func New(id string, cmdline []string) *Mesh {
	return &Mesh{SchemaVersion: SchemaVersion, ID: id, CommandLine: cmdline, Version: version.Get(), Started: time.Now().UTC()}
}

// NodeName is node i's name, or "node#i" out of range.
func (m *Mesh) NodeName(i int) string {
	if i >= 0 && i < len(m.Nodes) {
		return m.Nodes[i].Name
	}
	return "node#" + strconv.Itoa(i)
}
