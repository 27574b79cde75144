package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/ratesearch"
	"github.com/spf13/pflag"
)

// udpMaxOptions are run's flags for --tests udp-max.
type udpMaxOptions struct {
	sizes         []string
	lossThreshold string
	trial         secondsValue
}

func addUDPMaxFlags(f *pflag.FlagSet) *udpMaxOptions {
	o := &udpMaxOptions{trial: secondsValue(bench.DefaultUDPMaxTrial)}
	f.StringSliceVar(&o.sizes, "udp-max-sizes", []string{"64", "512", "1400", "mtu"}, "--tests udp-max: UDP payload sizes searched, bytes (K suffix) or mtu (the datagram that fills the path's MTU)")
	f.StringVar(&o.lossThreshold, "loss-threshold", "0.1%", "--tests udp-max: the loss a trial may have and still pass, in percent (0 = none)")
	f.Var(&o.trial, "udp-max-trial", "--tests udp-max: length of each trial of the search, whole seconds")
	return o
}

// apply puts the udp-max settings into the plan; errors name the flag.
func (o *udpMaxOptions) apply(p *bench.Plan) error {
	var errs []error
	p.UDPMaxSizes = nil
	for _, s := range o.sizes {
		if strings.EqualFold(strings.TrimSpace(s), "mtu") {
			p.UDPMaxSizes = append(p.UDPMaxSizes, 0)
			continue
		}
		n, err := parseSize(s)
		if err != nil || n == 0 {
			errs = append(errs, fmt.Errorf("--udp-max-sizes %s: give sizes in bytes like 64,512,1400, or mtu for the path's", s))
			continue
		}
		p.UDPMaxSizes = append(p.UDPMaxSizes, int(n))
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(o.lossThreshold), "%"), 64)
	if err != nil || v < 0 || v >= 100 {
		errs = append(errs, fmt.Errorf("--loss-threshold %q: give a percentage from 0 to below 100, like 0.1%%", o.lossThreshold))
	} else {
		p.LossThreshold = v / 100
		if v == 0 {
			p.LossThreshold = ratesearch.Strict // none, not the default
		}
	}
	p.UDPMaxTrial = time.Duration(o.trial)
	return errors.Join(errs...)
}
