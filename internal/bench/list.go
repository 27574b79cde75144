package bench

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/units"
)

// WriteTests lists a defaulted plan for --dry-run: its parameters, how
// long it should take, then every test in run order with the route it
// measures.
func WriteTests(w io.Writer, p Plan) error {
	WritePlan(w, p)
	tests := p.Tests()
	a, b := "A", "B"
	if len(p.Nodes) == 2 {
		a, b = p.Nodes[0], p.Nodes[1]
	}
	if p.Scenarios == nil {
		fmt.Fprintln(w, "scenarios: the default set, those the cluster supports (those it cannot run are skipped, with a note)")
		fmt.Fprintf(w, "not in the default set, run only when named: %s\n", strings.Join(OnRequestNames(), ", "))
	}
	for _, warn := range p.Warnings() {
		fmt.Fprintf(w, "note: %s\n", warn)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	hasVariants := len(p.Variants) > 1 || p.Variants[0] != ""
	head := "#\tSCENARIO\tPROTO\tSTREAMS\tREPEAT\tROUTE"
	if hasVariants {
		head = "#\tVARIANT\tSCENARIO\tPROTO\tSTREAMS\tREPEAT\tROUTE"
	}
	fmt.Fprintln(tw, head)
	for i, t := range tests {
		v := ""
		if hasVariants {
			v = t.Variant + "\t"
		}
		proto, streams := string(t.Protocol), fmt.Sprint(t.Streams)
		if t.Latency != "" {
			proto, streams = string(t.Latency), "-"
		}
		fmt.Fprintf(tw, "%d\t%s%s\t%s\t%s\t%d/%d\t%s\n", i+1, v, t.Scenario.Name, proto, streams, t.Repeat, t.Repeats, t.Scenario.Route(a, b))
	}
	return tw.Flush()
}

// WritePlan writes a defaulted plan's parameters in two lines: what runs
// and how long each test measures, with the settings that change results
// (warm-up, block size, UDP rate). A run prints them as it starts.
func WritePlan(w io.Writer, p Plan) {
	tests, scen := p.Tests(), p.ScenarioList()
	var protos []string
	for _, pr := range p.Protocols {
		protos = append(protos, string(pr))
	}
	var streams []string
	for _, n := range p.Streams {
		streams = append(streams, fmt.Sprint(n))
	}
	variants := len(p.Variants)
	fmt.Fprintf(w, "%d tests, one at a time: %d variant(s) × %d scenarios × %s × %s stream(s) × %d repeats, %s order\n",
		len(tests), variants, len(scen), strings.Join(protos, ","), strings.Join(streams, ","), p.Repeats, p.Order)
	fmt.Fprintf(w, "each test: %v measured after %v warm-up, %s", p.Duration, p.Omit, p.BlockSizes())
	if slices.Contains(p.Protocols, engine.UDP) {
		fmt.Fprintf(w, ", UDP at %s per stream", units.FormatRate(float64(p.UDPRate)))
	}
	fmt.Fprintf(w, "; about %v in all\n", p.Estimate().Round(time.Second))
	if line := p.kindsLine(); line != "" {
		fmt.Fprintln(w, line)
	}
}

// BlockSizes says how many bytes each write carries in the plan's
// protocols ("TCP writes of 1 MiB"): the block size changes CPU-bound
// results, so plans and reports state it.
func (p Plan) BlockSizes() string {
	var parts []string
	if slices.Contains(p.Protocols, engine.TCP) {
		parts = append(parts, "TCP writes of "+units.FormatSize(cmp.Or(p.MsgSize, engine.DefaultTCPLength)))
	}
	if slices.Contains(p.Protocols, engine.UDP) {
		size := "the path's MSS"
		if p.MsgSize > 0 {
			size = units.FormatSize(p.MsgSize)
		}
		parts = append(parts, "UDP datagrams of "+size)
	}
	return strings.Join(parts, ", ")
}
