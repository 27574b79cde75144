package report

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// warningAdvice is what a kind of warning means and what to do, said once
// for all the rows that have it (each row's own message is in -o wide,
// Markdown and HTML).
var warningAdvice = map[string]string{
	stats.WarnFailed:         "-o wide says why",
	stats.WarnFailedSamples:  "left out; -o wide says why",
	stats.WarnFewSamples:     "use --repeats 6 or more",
	stats.WarnNoisy:          "add --repeats or --duration",
	stats.WarnCPUBound:       "a side or its node near 100% CPU",
	stats.WarnCPUDatapath:    "CPU per Gbit rose: the datapath, not the link, sets the rate",
	stats.WarnNodeCPUFailed:  "no node CPU from some tests; -o wide says why",
	stats.WarnNoBaseline:     "no overhead",
	stats.WarnBaselineFailed: "no overhead",
	stats.WarnRTTFailed:      "no RTT from some tests",
	stats.WarnSenderLimited:  "lower --udp-rate",
	stats.NoteExtraHop:       "NodePort on the node without the backend: the link twice",
	stats.NoteNoHeaderTax:    "leaves the node unencapsulated through its SNAT",
}

// warningLines are the rows' warnings: with wide every one in full, else
// one line per kind ("! 3 rows noisy: …"), a kind on one row in full.
func warningLines(run *runrecord.Run, wide bool) []string {
	type kind struct {
		code   string
		first  string // the first row's message
		labels []string
	}
	var kinds []*kind
	byCode := map[string]*kind{}
	var lines []string
	oneVariant := len(run.Variants()) <= 1
	for _, s := range run.Summaries {
		name := s.Key.String()
		if oneVariant {
			name = label(s.Key)
		}
		for _, wn := range s.Warnings {
			if wide {
				lines = append(lines, wrap("! "+name+": "+wn.Message, tableWidth, "    "))
				continue
			}
			k := byCode[wn.Code]
			if k == nil {
				k = &kind{code: wn.Code, first: name + ": " + wn.Message}
				byCode[wn.Code] = k
				kinds = append(kinds, k)
			}
			k.labels = append(k.labels, name)
		}
	}
	for _, k := range kinds {
		advice, known := warningAdvice[k.code]
		if len(k.labels) == 1 || !known {
			lines = append(lines, wrap("! "+k.first, tableWidth, "    "))
			continue
		}
		head := fmt.Sprintf("! %d rows %s (%s): ", len(k.labels), k.code, advice)
		lines = append(lines, head+fitList(k.labels, tableWidth-utf8.RuneCountInString(head)))
	}
	return lines
}

// fitList joins items with ", " in at most width characters, ending with
// "… +N" for the N left out.
func fitList(items []string, width int) string {
	s := ""
	for i, it := range items {
		next := it
		if i > 0 {
			next = s + ", " + it
		}
		rest := ""
		if i < len(items)-1 {
			rest = fmt.Sprintf(", … +%d", len(items)-i-1)
		}
		if utf8.RuneCountInString(next+rest) > width {
			if i == 0 {
				return fmt.Sprintf("… %d rows", len(items))
			}
			return s + fmt.Sprintf(", … +%d", len(items)-i)
		}
		s = next
	}
	return s
}

// wrap breaks s at spaces into lines of at most width characters, the
// lines after the first starting with indent. A word longer than a line
// stays whole.
func wrap(s string, width int, indent string) string {
	body := strings.TrimLeft(s, " ")
	lead := s[:len(s)-len(body)]
	lines := wrapJoin(strings.Split(body, " "), " ", width-len(lead), indent[min(len(lead), len(indent)):])
	return lead + strings.Join(lines, "\n"+lead)
}

// wrapJoin joins parts with sep into lines of at most width characters,
// breaking only between parts; lines after the first start with indent.
func wrapJoin(parts []string, sep string, width int, indent string) []string {
	var lines []string
	cur := ""
	for _, p := range parts {
		switch {
		case cur == "":
			cur = p
		case utf8.RuneCountInString(cur+sep+p) <= width:
			cur += sep + p
		default:
			lines = append(lines, cur)
			cur = indent + p
		}
	}
	return append(lines, cur)
}

// legend explains the figures once, below the tables, with the size of the
// family of tests the marks are corrected over.
func legend(run *runrecord.Run) string {
	family := 0
	for _, s := range run.Summaries {
		if o := s.Overhead; o != nil && o.FamilySize > family {
			family = o.FamilySize
		}
	}
	udp := ""
	if slices.ContainsFunc(run.Summaries, func(s stats.Summary) bool { return s.Protocol == stats.UDP }) {
		udp = "SENT = the UDP sender's rate; "
	}
	l := fmt.Sprintf(legendFormat, family, udp)
	if hasNodeCPU(run.Summaries) {
		l += nodeCPULegend
	}
	return l
}

const legendFormat = "GOODPUT = median rate at the receiver; OVERHEAD = 1 − goodput/baseline goodput (node-node; node-node-same for same-node paths; paired by round, 95%% CI); " +
	"* = differs from the baseline (p < 0.05 after Holm over %d tests); FLOOR = what the path's header or MTU must cost; " +
	"%sverdicts: docs/run.md; -o wide: every column"
