// Package metrics turns a run record into Prometheus metric families, so a
// run is a time series as well as a file: written as OpenMetrics text
// (`-o openmetrics`) or pushed to a Pushgateway (`--push`). It reads only the
// run record and its summaries; docs/metrics.md lists every metric.
package metrics

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Options shape the metric families of a run.
type Options struct {
	// Timestamps stamps every sample with the run's start. A file keeps
	// them (a backfill puts each run at its time); a Pushgateway refuses
	// them, so a push leaves them out and the start is only the value of
	// cnibench_run_start_timestamp_seconds.
	Timestamps bool
	// Labels replace the run's own label values (e.g. cluster=prod-eu);
	// only the run labels (RunLabels) can be set.
	Labels map[string]string
}

// Gather returns the metric families of run, checked for consistency by
// client_golang's pedantic registry. A run without summaries is summarised
// with the default configuration first.
func Gather(run *runrecord.Run, o Options) ([]*dto.MetricFamily, error) {
	if err := CheckLabels(o.Labels); err != nil {
		return nil, err
	}
	if len(run.Summaries) == 0 && len(run.Samples) > 0 || len(run.LatencySummaries) == 0 && len(run.LatencySamples) > 0 {
		c := *run
		c.Summarize(stats.Config{})
		run = &c
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(&collector{run: run, o: o}); err != nil {
		return nil, fmt.Errorf("metrics of run %s: %w", run.ID, err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		return nil, fmt.Errorf("metrics of run %s: %w", run.ID, err)
	}
	return mfs, nil
}

// RunLabels are the labels every series of a run has, the ones
// Options.Labels can set.
func RunLabels() []string { return slices.Clone(runLabels) }

// CheckLabels refuses labels that are not run labels.
func CheckLabels(labels map[string]string) error {
	for name := range labels {
		if !slices.Contains(runLabels, name) {
			return fmt.Errorf("label %q cannot be set: use one of %s", name, strings.Join(runLabels, ", "))
		}
	}
	return nil
}

// WriteOpenMetrics writes run as OpenMetrics text, every sample stamped
// with the run's start.
func WriteOpenMetrics(w io.Writer, run *runrecord.Run) error {
	mfs, err := Gather(run, Options{Timestamps: true})
	if err != nil {
		return err
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeOpenMetrics))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("encode %s: %w", mf.GetName(), err)
		}
	}
	closer, ok := enc.(expfmt.Closer)
	if !ok {
		return fmt.Errorf("OpenMetrics encoder cannot write # EOF")
	}
	return closer.Close()
}

// collector yields one run's metrics.
type collector struct {
	run *runrecord.Run
	o   Options
}

// Describe sends every metric's description.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range runMetrics {
		ch <- m.desc
	}
	for _, m := range groupMetrics {
		ch <- m.desc
	}
	for _, m := range latencyMetrics {
		ch <- m.desc
	}
}

// Collect sends the run's figures; a figure the record does not have
// sends nothing (never 0).
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	r := c.run
	runValues := runLabelValues(r, c.o.Labels)
	for _, m := range runMetrics {
		if v, ok := m.value(r); ok {
			c.send(ch, m.desc, v, runValues)
		}
	}
	for _, s := range r.Summaries {
		values := append(append(runValues[:len(runValues):len(runValues)], variantLabelValues(r, s.Variant)...),
			s.Scenario, string(s.Protocol), strconv.Itoa(s.Streams))
		for _, m := range groupMetrics {
			if v, ok := m.value(s); ok {
				c.send(ch, m.desc, v, values)
			}
		}
	}
	for _, f := range latencyFiguresOf(r) {
		values := append(append(runValues[:len(runValues):len(runValues)], variantLabelValues(r, f.Variant)...), f.Scenario, f.Test)
		for _, m := range latencyMetrics {
			if v, ok := m.value(f); ok {
				c.send(ch, m.desc, v, values)
			}
		}
	}
}

func (c *collector) send(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels []string) {
	m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, v, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, err)
	} else if c.o.Timestamps {
		m = prometheus.NewMetricWithTimestamp(c.run.Start, m)
	}
	ch <- m
}
