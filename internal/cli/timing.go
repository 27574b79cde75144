package cli

import (
	"github.com/cnibench/cnibench/internal/bench"
	"github.com/spf13/pflag"
)

// addTimingFlags adds --duration and --omit, whose defaults depend on
// --cluster (bench.DefaultTiming): the help says both, and no single
// "(default …)" is shown.
func addTimingFlags(f *pflag.FlagSet, o *runOptions) {
	labD, labO := bench.DefaultTiming(false)
	kubeD, kubeO := bench.DefaultTiming(true)
	f.Var(&o.duration, "duration", "measured time of each test, whole seconds (default "+labD.String()+" on the lab, "+kubeD.String()+" with --cluster kube, like iperf3)")
	f.Var(&o.omit, "omit", "warm-up at the start of each test left out of its result, whole seconds (default "+labO.String()+" on the lab, "+kubeO.String()+" with --cluster kube)")
	f.Lookup("duration").DefValue = ""
	f.Lookup("omit").DefValue = ""
}

// timingDefaults gives --duration and --omit, unless set on the command
// line, the defaults of the run's cluster: the lab's fast ones, or on a
// real cluster ones that give a trustworthy number.
func (o *runOptions) timingDefaults(f *pflag.FlagSet) {
	d, om := bench.DefaultTiming(o.cluster == "kube")
	if !f.Changed("duration") {
		o.duration = secondsValue(d)
	}
	if !f.Changed("omit") {
		o.omit = secondsValue(om)
	}
}

// planOf is the plan as the run will measure it, for the lines printed
// as it starts.
func planOf(p bench.Plan, vs []bench.Variant) bench.Plan {
	return p.WithVariants(vs).WithDefaults()
}
