package bench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/cluster/lab"
)

// LabMatrix is a lab configuration whose knobs may each take a list of
// values: the plan runs once per combination, each on a lab built for it
// (and removed before the next is built). An empty list means Base's value.
// Base is not defaulted: a zero PodMTU gives each datapath its own.
type LabMatrix struct {
	Base        lab.Config
	Datapaths   []lab.Datapath
	LinkRates   []uint64 // bits/s, 0 = unshaped
	MTUs        []int    // underlay MTU
	PodMTUs     []int    // 0 = the datapath's default
	PolicyRules []int
}

// MaxVariants bounds a matrix: each variant's lab ID is the run ID plus one
// base-36 digit.
const MaxVariants = 36

// LabVariant is one combination of a LabMatrix.
type LabVariant struct {
	Label  string // e.g. "datapath=vxlan" or "datapath=vxlan,link-rate=500mbit"
	Config lab.Config
}

// knob is one list-valued lab setting.
type knob struct {
	name   string
	n      int
	apply  func(c *lab.Config, i int)
	format func(i int) string
}

func (m LabMatrix) knobs() []knob {
	return []knob{
		{"datapath", len(m.Datapaths), func(c *lab.Config, i int) { c.Datapath = m.Datapaths[i] },
			func(i int) string { return string(m.Datapaths[i]) }},
		{"link-rate", len(m.LinkRates), func(c *lab.Config, i int) { c.LinkRate = m.LinkRates[i] },
			func(i int) string { return lab.FormatRate(m.LinkRates[i]) }},
		{"mtu", len(m.MTUs), func(c *lab.Config, i int) { c.UnderlayMTU = m.MTUs[i] },
			func(i int) string { return strconv.Itoa(m.MTUs[i]) }},
		{"pod-mtu", len(m.PodMTUs), func(c *lab.Config, i int) { c.PodMTU = m.PodMTUs[i] },
			func(i int) string { return podMTULabel(m.PodMTUs[i]) }},
		{"policy-rules", len(m.PolicyRules), func(c *lab.Config, i int) { c.PolicyRules = m.PolicyRules[i] },
			func(i int) string { return strconv.Itoa(m.PolicyRules[i]) }},
	}
}

func podMTULabel(v int) string {
	if v == 0 {
		return "default"
	}
	return strconv.Itoa(v)
}

// Variants lists every combination, the first knob varying slowest, each
// with its label and defaulted, validated config. Labels name the datapath
// always and every other knob that takes more than one value. Lab IDs are
// runID plus the variant's index in base 36. runID must be 1 to 7
// lowercase letters or digits.
func (m LabMatrix) Variants(runID string) ([]LabVariant, error) {
	ks := m.knobs()
	total := 1
	for _, k := range ks {
		if k.n > 0 {
			if total *= k.n; total > MaxVariants {
				break
			}
		}
	}
	if total > MaxVariants {
		return nil, fmt.Errorf("the lab matrix has more than %d variants: shorten the lists of --datapath, --link-rate, --mtu, --pod-mtu, --policy-rules", MaxVariants)
	}
	var out []LabVariant
	var errs []error
	idx := make([]int, len(ks))
	for v := 0; v < total; v++ {
		cfg := m.Base
		var label []string
		for j, k := range ks {
			if k.n == 0 {
				continue
			}
			k.apply(&cfg, idx[j])
			if k.name == "datapath" || k.n > 1 {
				label = append(label, k.name+"="+k.format(idx[j]))
			}
		}
		if m.Datapaths == nil {
			if cfg.Datapath == "" {
				cfg.Datapath = lab.Routed
			}
			label = append([]string{"datapath=" + string(cfg.Datapath)}, label...)
		}
		cfg.ID = runID + strconv.FormatInt(int64(v), 36)
		cfg = cfg.WithDefaults()
		if err := cfg.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", strings.Join(label, ","), err))
		}
		out = append(out, LabVariant{Label: strings.Join(label, ","), Config: cfg})
		// advance the odometer, last knob fastest
		for j := len(ks) - 1; j >= 0; j-- {
			if ks[j].n == 0 {
				continue
			}
			if idx[j]++; idx[j] < ks[j].n {
				break
			}
			idx[j] = 0
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// Supported checks that this kernel can build every variant's datapath,
// before any lab is built (it needs the privileges of a lab build).
func Supported(vs []LabVariant) error {
	seen := map[lab.Datapath]bool{}
	for _, v := range vs {
		if seen[v.Config.Datapath] {
			continue
		}
		seen[v.Config.Datapath] = true
		if err := lab.Supported(v.Config.Datapath); err != nil {
			return fmt.Errorf("datapath %s: %w", v.Config.Datapath, err)
		}
	}
	return nil
}

// LabVariants turns a matrix's combinations into variants whose cluster is
// a lab built when its turn comes.
func LabVariants(vs []LabVariant) []Variant {
	out := make([]Variant, len(vs))
	for i, v := range vs {
		cfg := v.Config
		out[i] = Variant{Label: v.Label, Open: func(ctx context.Context) (cluster.Cluster, error) {
			l, err := lab.Build(ctx, cfg)
			if err != nil {
				return nil, err
			}
			return l, nil
		}}
	}
	return out
}
