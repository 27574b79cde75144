package lab

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cnibench/cnibench/internal/units"

	"github.com/cnibench/cnibench/internal/cluster"
)

// Matrix is a lab configuration whose knobs may each take a list of
// values: a run measures once per combination, each on a lab built for it
// (and removed before the next is built). An empty list means Base's value.
// Base is not defaulted: a zero PodMTU gives each datapath its own.
type Matrix struct {
	Base        Config
	Datapaths   []Datapath
	LinkRates   []uint64 // bits/s, 0 = unshaped
	MTUs        []int    // underlay MTU
	PodMTUs     []int    // 0 = the datapath's default
	PolicyRules []int
	// ServiceProxies and Services label a variant whenever given, even
	// with one value: who implements Services is a fact of the figures.
	ServiceProxies []ServiceProxy
	Services       []int
}

// MaxVariants bounds a matrix: each variant's lab ID is the run ID plus one
// base-36 digit.
const MaxVariants = 36

// ErrTooManyVariants is the error of a matrix with more than MaxVariants
// combinations; callers add which lists to shorten, in their own words.
var ErrTooManyVariants = fmt.Errorf("the lab matrix has more than %d variants", MaxVariants)

// Variant is one combination of a Matrix.
type Variant struct {
	Label  string // e.g. "datapath=vxlan" or "datapath=vxlan,link-rate=500mbit"
	Config Config
}

// Open builds the variant's lab, for a run to measure when the variant's
// turn comes.
func (v Variant) Open(ctx context.Context) (cluster.Cluster, error) {
	l, err := Build(ctx, v.Config)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return l, nil
}

// knob is one list-valued lab setting.
type knob struct {
	name   string
	n      int
	always bool // in the label whenever given, not only when it varies
	apply  func(c *Config, i int)
	format func(i int) string
}

func (m Matrix) knobs() []knob {
	return []knob{
		{"datapath", len(m.Datapaths), false, func(c *Config, i int) { c.Datapath = m.Datapaths[i] },
			func(i int) string { return string(m.Datapaths[i]) }},
		{"link-rate", len(m.LinkRates), false, func(c *Config, i int) { c.LinkRate = m.LinkRates[i] },
			func(i int) string { return linkRateLabel(m.LinkRates[i]) }},
		{"mtu", len(m.MTUs), false, func(c *Config, i int) { c.UnderlayMTU = m.MTUs[i] },
			func(i int) string { return strconv.Itoa(m.MTUs[i]) }},
		{"pod-mtu", len(m.PodMTUs), false, func(c *Config, i int) { c.PodMTU = m.PodMTUs[i] },
			func(i int) string { return podMTULabel(m.PodMTUs[i]) }},
		{"policy-rules", len(m.PolicyRules), false, func(c *Config, i int) { c.PolicyRules = m.PolicyRules[i] },
			func(i int) string { return strconv.Itoa(m.PolicyRules[i]) }},
		{"service-proxy", len(m.ServiceProxies), true, func(c *Config, i int) { c.ServiceProxy = m.ServiceProxies[i] },
			func(i int) string { return string(m.ServiceProxies[i]) }},
		{"services", len(m.Services), true, func(c *Config, i int) { c.Services = m.Services[i] },
			func(i int) string { return strconv.Itoa(m.Services[i]) }},
	}
}

// linkRateLabel spells a link rate as the flag does ("500mbit").
func linkRateLabel(r uint64) string {
	if r == 0 {
		return "unshaped"
	}
	return units.FlagRate(r)
}

func podMTULabel(v int) string {
	if v == 0 {
		return "default"
	}
	return strconv.Itoa(v)
}

// Variants lists every combination, the first knob varying slowest, each
// with its label and defaulted, validated config. Labels name the datapath
// always, the service proxy and services whenever given, and every other
// knob that takes more than one value. Lab IDs are
// runID plus the variant's index in base 36. runID must be 1 to 7
// lowercase letters or digits. A matrix of more than MaxVariants
// combinations is ErrTooManyVariants.
func (m Matrix) Variants(runID string) ([]Variant, error) {
	ks := m.knobs()
	total := 1
	for _, k := range ks {
		if k.n > 0 {
			if total *= k.n; total > MaxVariants {
				return nil, ErrTooManyVariants
			}
		}
	}
	var out []Variant
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
			if k.name == "datapath" || k.always || k.n > 1 {
				label = append(label, k.name+"="+k.format(idx[j]))
			}
		}
		if m.Datapaths == nil {
			if cfg.Datapath == "" {
				cfg.Datapath = Routed
			}
			label = append([]string{"datapath=" + string(cfg.Datapath)}, label...)
		}
		cfg.ID = runID + strconv.FormatInt(int64(v), 36)
		cfg = cfg.WithDefaults()
		if err := cfg.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", strings.Join(label, ","), err))
		}
		out = append(out, Variant{Label: strings.Join(label, ","), Config: cfg})
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

// SupportedAll checks that this kernel can build every variant's datapath,
// before any lab is built (it needs the privileges of a lab build); the
// error names the missing module and the datapaths this kernel supports.
func SupportedAll(vs []Variant) error {
	seen := map[Datapath]bool{}
	for _, v := range vs {
		if seen[v.Config.Datapath] {
			continue
		}
		seen[v.Config.Datapath] = true
		if err := checkDatapath(v.Config.Datapath); err != nil {
			return err
		}
	}
	return nil
}
