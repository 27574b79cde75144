package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/ratesearch"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/units"
)

// UDPMax is the kind of test that searches each scenario's maximum
// loss-free UDP rate (RFC 2544 throughput) at every size of
// Plan.UDPMaxSizes, once per variant, after the variant's rounds.
const UDPMax = "udp-max"

// Defaults of the udp-max searches.
var (
	// DefaultUDPMaxSizes are 64, 512 and 1400 bytes of payload and the
	// path's MTU (0): small packets measure the datapath's cost per packet,
	// large ones its cost per byte.
	DefaultUDPMaxSizes = []int{64, 512, 1400, 0}
	// DefaultUDPMaxTrial is each trial's length.
	DefaultUDPMaxTrial = time.Second
)

// udpMaxSettle is the search's pause after a trial that lost datagrams.
const udpMaxSettle = ratesearch.DefaultSettle

// udpMax says whether the plan searches loss-free rates.
func (p Plan) udpMax() bool { return slices.Contains(p.Kinds, UDPMax) }

// udpMaxSizes are the plan's sizes, defaulted.
func (p Plan) udpMaxSizes() []int {
	if len(p.UDPMaxSizes) == 0 {
		return DefaultUDPMaxSizes
	}
	return p.UDPMaxSizes
}

// validateUDPMax explains what is wrong with the search's settings.
func (p Plan) validateUDPMax() []error {
	var errs []error
	for _, n := range p.UDPMaxSizes {
		if n != 0 && (n < engine.MinUDPLength || n > engine.MaxUDPLength) {
			errs = append(errs, fmt.Errorf("udp-max size %d: UDP datagrams carry %d..%d bytes (0 = the path's MTU)", n, engine.MinUDPLength, engine.MaxUDPLength))
		}
	}
	if t := p.LossThreshold; t != ratesearch.Strict && (t < 0 || t >= 1) {
		errs = append(errs, fmt.Errorf("loss threshold %v: use a fraction in [0, 1), e.g. 0.001 for 0.1%%", t))
	}
	if d := p.UDPMaxTrial; d < 0 || d%time.Second != 0 || d > time.Minute {
		errs = append(errs, fmt.Errorf("udp-max trial %v: whole seconds up to 1m, like 1s", d))
	}
	return errs
}

// recordUDPMax puts the search's settings in the record's plan.
func (p Plan) recordUDPMax(rp *runrecord.Plan) {
	if !p.udpMax() {
		return
	}
	rp.UDPMaxSizes = slices.Clone(p.udpMaxSizes())
	rp.LossThreshold = p.lossThreshold()
	rp.UDPMaxTrial = runrecord.Duration(cmpOr(p.UDPMaxTrial, DefaultUDPMaxTrial))
}

// lossThreshold is the fraction a trial may lose and pass (LossThreshold:
// 0 = the default, ratesearch.Strict = none).
func (p Plan) lossThreshold() float64 {
	switch p.LossThreshold {
	case 0:
		return ratesearch.DefaultLossThreshold
	case ratesearch.Strict:
		return 0
	}
	return p.LossThreshold
}

func cmpOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// runUDPMax searches every bound scenario's loss-free rate at every size,
// in the plan's scenario order, and records each search. A search that a
// fault the cluster recovered from failed (a pod deleted, cut short by the
// watch) is kept, marked retried, and run again, as a test is (retrying).
func (r *runner) runUDPMax(ctx context.Context, c cluster.Cluster, s *setup, variant string) error {
	for _, sc := range r.plan.ScenarioList() {
		b, ok := s.bound[sc.Name]
		if !ok || r.hasUDPMax(variant, sc.Name) {
			continue
		}
		path := r.rec.Path(variant, sc.Name)
		for _, size := range r.plan.udpMaxSizes() {
			if ctx.Err() != nil {
				return interrupted(ctx)
			}
			name := fmt.Sprintf("udp-max %s %s", sc.Name, udpMaxSizesText([]int{size}))
			err := r.retrying(ctx, c, variant, name, b, false, func(ctx context.Context, b bound, retry int) (tried, error) {
				start := r.now()
				m := r.searchUDPMax(ctx, c, b, path, size)
				m.Variant, m.Scenario, m.Retry, m.Start, m.End = variant, sc.Name, retry, start, r.now()
				switch cut := cutBy(ctx); {
				case cut != nil && m.Error != "":
					m.Error = cut.Error()
				case cut == nil && ctx.Err() != nil:
					return tried{}, interrupted(ctx) // an interrupted search is not a result
				}
				return tried{failed: m.Error != "", record: func(retried bool, cause string) {
					m.Retried, m.Error = retried, withCause(m.Error, cause)
					r.rec.UDPMax = append(r.rec.UDPMax, m)
					r.ev.Note(udpMaxNote(m))
				}}, nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// hasUDPMax says whether a resumed record already has the scenario's
// searches (a retried one is not: its retry is still to run).
func (r *runner) hasUDPMax(variant, scenario string) bool {
	for _, m := range r.rec.UDPMax {
		if m.Variant == variant && m.Scenario == scenario && !m.Retried {
			return true
		}
	}
	return false
}

// searchUDPMax runs one search: the first rate offered is 10% above the
// path's link rate, or unbounded when that is unknown (a real cluster, an
// unshaped lab), so the first trial measures what the sender can offer.
func (r *runner) searchUDPMax(ctx context.Context, c cluster.Cluster, b bound, path *runrecord.Path, size int) runrecord.UDPMax {
	m := runrecord.UDPMax{Size: size, Trials: []runrecord.UDPMaxTrial{}}
	if b.err != nil {
		m.Error = b.err.Error()
		return m
	}
	if size == 0 {
		m.PathMTU = true
		if path == nil || path.MTU == 0 {
			m.Error = "the path's MTU is unknown"
			return m
		}
		m.Size = path.MTU - 28 // IPv4 20 + UDP 8
		if b.target.Addr.Addr().Is6() && !b.target.Addr.Addr().Is4In6() {
			m.Size = path.MTU - 48 // IPv6 40 + UDP 8
		}
		m.Size = min(m.Size, engine.MaxUDPLength)
	}
	start := 0.0
	if path != nil && path.LinkRate > 0 {
		start = 1.1 * float64(path.LinkRate)
	}
	trial := cmpOr(r.plan.UDPMaxTrial, DefaultUDPMaxTrial)
	run := func(ctx context.Context, spec engine.Spec) (*engine.Result, error) {
		tctx, cancel := context.WithTimeout(ctx, trial+testGrace)
		defer cancel()
		return c.RunClient(tctx, b.from, b.target, spec)
	}
	res, err := ratesearch.Search(ctx, ratesearch.Config{StartBps: start, LossThreshold: r.plan.LossThreshold, Settle: udpMaxSettle},
		engine.UDPTrials(run, engine.Spec{Streams: 1, Duration: trial, Length: m.Size, Interval: trial, ConnectTimeout: connectTimeout}))
	m.Found, m.Converged, m.SenderLimited, m.RateBps = res.Found, res.Converged, res.SenderLimited, res.RateBps
	if res.SenderLimited {
		m.SenderBps = res.SenderBps
	}
	for _, st := range res.Steps {
		m.Trials = append(m.Trials, runrecord.UDPMaxTrial{OfferedBps: st.OfferedBps, SentBps: st.SentBps, ReceivedBps: st.ReceivedBps,
			Loss: st.Loss, JitterMs: st.JitterMs, Packets: st.Packets, Passed: st.Passed, SenderLimited: st.SenderLimited, Repeat: st.Repeat})
	}
	if best := res.Best; best != nil {
		j := best.JitterMs
		m.JitterMs = &j
		m.PacketsPerSecond = float64(best.Packets) / trial.Seconds()
	}
	if err != nil {
		m.Error = err.Error()
		m.Found, m.RateBps, m.JitterMs, m.PacketsPerSecond, m.SenderLimited, m.SenderBps = false, 0, nil, 0, false, 0
	}
	return m
}

// udpMaxNote is a search's progress line.
func udpMaxNote(m runrecord.UDPMax) string {
	head := fmt.Sprintf("udp-max %s %s %d B", labelOr(m.Variant, ""), m.Scenario, m.Size)
	head = strings.TrimSpace(strings.Replace(head, "udp-max  ", "udp-max ", 1))
	switch {
	case m.Error != "":
		return fmt.Sprintf("%s: failed after %s: %s", head, trialsText(len(m.Trials)), m.Error)
	case !m.Found:
		return fmt.Sprintf("%s: no rate passed in %s", head, trialsText(len(m.Trials)))
	case m.SenderLimited:
		return fmt.Sprintf("%s: sender-limited at %s, no loss, in %s (the path carries at least that)", head, units.FormatRate(m.SenderBps), trialsText(len(m.Trials)))
	}
	return fmt.Sprintf("%s: %s loss-free in %s", head, units.FormatRate(m.RateBps), trialsText(len(m.Trials)))
}

func trialsText(n int) string {
	if n == 1 {
		return "1 trial"
	}
	return fmt.Sprintf("%d trials", n)
}

// udpMaxTrialsGuess is how many trials a search takes on a shaped path:
// the first, one guess near the capacity, one just above it, a repeat.
const udpMaxTrialsGuess = 4

// udpMaxEstimate guesses the searches' time: every variant, scenario and size.
func (p Plan) udpMaxEstimate() time.Duration {
	if !p.udpMax() {
		return 0
	}
	// About half of a search's trials lose datagrams and are followed by
	// the settle pause.
	per := cmpOr(p.UDPMaxTrial, DefaultUDPMaxTrial) + perTestOverhead + udpMaxSettle/2
	return time.Duration(len(p.Variants)*len(p.ScenarioList())*len(p.udpMaxSizes())*udpMaxTrialsGuess) * per
}

// udpMaxSizesText lists the sizes: "64, 512, 1400 B, path MTU".
func udpMaxSizesText(sizes []int) string {
	var parts []string
	for _, n := range sizes {
		if n == 0 {
			parts = append(parts, "path MTU")
		} else {
			parts = append(parts, fmt.Sprintf("%d B", n))
		}
	}
	return strings.Join(parts, ", ")
}
