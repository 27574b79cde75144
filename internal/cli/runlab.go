package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cnibench/cnibench/internal/units"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/cluster/lab"
	"github.com/cnibench/cnibench/internal/report"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// defaultLabLinkRate shapes the lab's uplinks unless told otherwise, in
// `run` and `lab up` alike: an unshaped lab measures how fast this
// machine's CPUs move bytes between namespaces, which on a small shared
// machine is mostly noise.
const defaultLabLinkRate = "1gbit"

// linkRateHelp is the --link-rate flags' syntax, in run and lab up.
const linkRateHelp = "a rate like 1gbit, 500M or 100mbps (tc's mbps = megaBYTES/s); 0 = unshaped, which measures this machine's CPU"

// labRunOptions are run's flags for --cluster lab, each a list: the
// matrix runs once per combination.
type labRunOptions struct {
	datapaths   []string
	linkRates   []string
	mtus        *sweepValue
	podMTUs     *sweepValue
	policyRules *sweepValue
	proxies     []string
	services    *sweepValue
	dualStack   bool // --ip-family has 6: every lab gets IPv6 addresses too
}

// addLabRunFlags adds the lab's knobs to run's flags.
func addLabRunFlags(f *pflag.FlagSet) *labRunOptions {
	l := &labRunOptions{mtus: newSweepValue(plainInt), podMTUs: newSweepValue(plainInt), policyRules: newSweepValue(plainInt), services: newSweepValue(plainInt)}
	forCluster(f, "lab", func(f *pflag.FlagSet) {
		f.StringSliceVar(&l.datapaths, "datapath", []string{string(lab.Routed)}, "lab: pod datapaths, a list of routed, vxlan, ipip, wireguard")
		f.StringSliceVar(&l.linkRates, "link-rate", []string{defaultLabLinkRate}, "lab: shape each node's uplink, a list of rates like 1gbit,10gbit: "+linkRateHelp)
		f.Var(l.mtus, "mtu", "lab: underlay MTUs (default 1500), "+sweepSyntax)
		f.Var(l.podMTUs, "pod-mtu", "lab: pod MTUs (default: the underlay MTU minus the datapath's header tax), "+sweepSyntax)
		f.Var(l.policyRules, "policy-rules", "lab: non-matching nftables rules every forwarded packet walks, like 0,1000 or 0..10000x10; "+sweepSyntax)
		f.StringSliceVar(&l.proxies, "service-proxy", nil, "lab: how nodes implement Services, kube-proxy's modes: a list of nftables (verdict maps), iptables (a linear KUBE-SERVICES chain) (default nftables)")
		f.Var(l.services, "services", "lab: other Services in every node's tables, as a cluster has, like 0,1000 (default 0); "+sweepSyntax)
	})
	return l
}

// variants turns the lab flags into the matrix's variants; an error names
// the flag to change.
func (l *labRunOptions) variants(s Streams, runID string, verbose bool) ([]lab.Variant, error) {
	m := lab.Matrix{Base: lab.Config{Logger: logger(s, verbose), DualStack: l.dualStack}}
	var err error
	for _, k := range []struct {
		flag string
		v    *sweepValue
		dst  *[]int
	}{{"--mtu", l.mtus, &m.MTUs}, {"--pod-mtu", l.podMTUs, &m.PodMTUs}, {"--policy-rules", l.policyRules, &m.PolicyRules}, {"--services", l.services, &m.Services}} {
		if *k.dst, err = k.v.ints(k.flag); err != nil {
			return nil, err
		}
	}
	for _, p := range l.proxies {
		m.ServiceProxies = append(m.ServiceProxies, lab.ServiceProxy(strings.ToLower(p)))
	}
	for _, d := range l.datapaths {
		m.Datapaths = append(m.Datapaths, lab.Datapath(strings.ToLower(d)))
	}
	for _, r := range l.linkRates {
		v, err := units.ParseRate(r)
		if err != nil {
			return nil, fmt.Errorf("--link-rate: %w", err)
		}
		m.LinkRates = append(m.LinkRates, v)
	}
	vs, err := m.Variants(runID)
	if errors.Is(err, lab.ErrTooManyVariants) {
		return nil, fmt.Errorf("%w: shorten the lists of --datapath, --link-rate, --mtu, --pod-mtu, --policy-rules, --service-proxy, --services", err)
	}
	return vs, err
}

// runLab measures the plan on one lab per variant of the lab flags'
// matrix, each built when its turn comes.
func runLab(cmd *cobra.Command, s Streams, o runOptions, format report.Format, plan bench.Plan, runID string) error {
	o.lab.dualStack = o.wantsIPv6()
	variants, err := o.lab.variants(s, runID, o.verbose)
	if err != nil {
		return err
	}
	vs := make([]bench.Variant, len(variants))
	for i, v := range variants {
		vs[i] = bench.Variant{Label: v.Label, Open: v.Open}
	}
	vs = o.sweep(vs)
	plan = plan.WithVariants(vs)
	if err := checkLabNodes(variants, plan.Nodes); err != nil {
		return err
	}
	if o.dryRun {
		if err := checkLabDatapaths(s.Err, variants); err != nil {
			return err
		}
		if len(plan.Nodes) == 0 {
			plan.Nodes = []string{lab.NodeName(1), lab.NodeName(2)}
		}
		for _, v := range variants {
			c := v.Config
			fmt.Fprintf(s.Out, "lab %s: %d nodes × %d pods, MTU %d, pod MTU %d, uplinks %s\n", v.Label, c.Nodes, c.PodsPerNode,
				c.UnderlayMTU, c.PodMTU, shaped(c.LinkRate))
		}
		return bench.WriteTests(s.Out, plan)
	}
	if done, err := rootless(cmd, s); done {
		return err
	}
	if err := lab.SupportedAll(variants); err != nil {
		return err
	}
	return measure(cmd, s, o, format, plan, runID, vs)
}

// shaped says how a lab's uplinks are shaped: "shaped to 1 Gbit/s".
func shaped(rate uint64) string {
	if rate == 0 {
		return "unshaped"
	}
	return "shaped to " + linkRate(rate)
}

// linkRate prints a lab's link rate: "1 Gbit/s", or "unshaped".
func linkRate(rate uint64) string {
	if rate == 0 {
		return "unshaped"
	}
	return units.FormatRate(float64(rate))
}
