package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTests lists a defaulted plan for --dry-run: its parameters, how
// long it should take, then every test in run order with the route it
// measures.
func WriteTests(w io.Writer, p Plan) error {
	tests := p.Tests()
	scen := p.ScenarioList()
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
	fmt.Fprintf(w, "each test: %v measured after %v warm-up", p.Duration, p.Omit)
	if p.MsgSize > 0 {
		fmt.Fprintf(w, ", %d-byte messages", p.MsgSize)
	}
	for _, pr := range p.Protocols {
		if pr == "udp" {
			fmt.Fprintf(w, ", UDP at %s per stream", FormatRate(float64(p.UDPRate)))
		}
	}
	fmt.Fprintf(w, "; about %v in all\n", p.Estimate().Round(time.Second))
	if line := p.kindsLine(); line != "" {
		fmt.Fprintln(w, line)
	}
	a, b := "A", "B"
	if len(p.Nodes) == 2 {
		a, b = p.Nodes[0], p.Nodes[1]
	}
	if p.Scenarios == nil {
		fmt.Fprintln(w, "scenarios: every one the cluster supports (those it cannot run are skipped, with a note)")
	}
	for _, warn := range p.Warnings() {
		fmt.Fprintf(w, "note: %s\n", warn)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	hasVariants := variants > 1 || p.Variants[0] != ""
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

// FormatRate formats bits/s with 4 significant digits: "9.412 Gbit/s".
func FormatRate(bps float64) string {
	units := []struct {
		div  float64
		name string
	}{{1e9, "Gbit/s"}, {1e6, "Mbit/s"}, {1e3, "kbit/s"}, {1, "bit/s"}}
	for _, u := range units {
		if math.Abs(bps) >= u.div || u.div == 1 {
			v := bps / u.div
			prec := 3
			switch a := math.Abs(v); {
			case a >= 100:
				prec = 1
			case a >= 10:
				prec = 2
			}
			return strings.TrimSpace(fmt.Sprintf("%.*f %s", prec, v, u.name))
		}
	}
	return ""
}
