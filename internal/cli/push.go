package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/cnibench/cnibench/internal/metrics"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/spf13/pflag"
)

// pushOptions are the flags that push a run to a Pushgateway (run, report).
type pushOptions struct {
	url    string
	job    string
	labels []string // KEY=VALUE
	parsed map[string]string
}

func addPushFlags(f *pflag.FlagSet) *pushOptions {
	p := &pushOptions{}
	f.StringVar(&p.url, "push", "", "also push the run's metrics to this Prometheus Pushgateway, e.g. http://pushgateway:9091 (docs/metrics.md)")
	f.StringVar(&p.job, "push-job", metrics.DefaultJob, "the Pushgateway job the run is pushed under")
	f.StringSliceVar(&p.labels, "push-label", nil, "KEY=VALUE: set a run label of the pushed metrics, e.g. cluster=prod-eu (a list); one of "+strings.Join(metrics.RunLabels(), ", "))
	return p
}

// check validates the flags before anything is measured or read.
func (p *pushOptions) check() error {
	if p.url == "" {
		if len(p.labels) > 0 {
			return fmt.Errorf("--push-label needs --push URL")
		}
		return nil
	}
	if err := metrics.ParseURL(p.url); err != nil {
		return fmt.Errorf("--push: %w", err)
	}
	p.parsed = map[string]string{}
	for _, kv := range p.labels {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("--push-label %q: want KEY=VALUE, e.g. cluster=prod-eu", kv)
		}
		p.parsed[k] = v
	}
	if err := metrics.CheckLabels(p.parsed); err != nil {
		return fmt.Errorf("--push-label: %w", err)
	}
	return nil
}

// push sends run to the Pushgateway when --push was given; record is the
// file the run record was written to ("": it went to stdout), for the
// error's advice.
func (p *pushOptions) push(ctx context.Context, s Streams, run *runrecord.Run, record string, quiet bool) error {
	if p.url == "" {
		return nil
	}
	err := metrics.Push(ctx, run, metrics.PushOptions{URL: p.url, Job: p.job, Labels: p.parsed})
	if err != nil {
		kept := "in " + record
		if record == "" {
			kept, record = "on stdout", "RUN.json"
		}
		return fmt.Errorf("%w\nthe run record is kept (%s): push it again with: cnibench report %s --push %s", err, kept, record, p.url)
	}
	if !quiet {
		fmt.Fprintf(s.Err, "pushed run %s to %s (job %s)\n", run.ID, p.url, p.job)
	}
	return nil
}
