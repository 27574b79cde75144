package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
	dto "github.com/prometheus/client_model/go"
)

// DefaultJob is the Pushgateway job cnibench pushes under.
const DefaultJob = "cnibench"

// PushOptions say where a run goes.
type PushOptions struct {
	URL    string            // the Pushgateway, e.g. http://pushgateway:9091
	Job    string            // "" = DefaultJob
	Labels map[string]string // replace the run's own label values; also in the grouping key
	// Backoff is the wait before each retry; nil = DefaultBackoff. Its
	// length is the number of retries.
	Backoff []time.Duration
	Timeout time.Duration // of each attempt; 0 = DefaultAttemptTimeout
}

// Push policy: 3 attempts, each bounded, 0.5 s then 1 s apart.
var (
	DefaultBackoff        = []time.Duration{500 * time.Millisecond, time.Second}
	DefaultAttemptTimeout = 10 * time.Second
)

// ParseURL checks a Pushgateway address given by a user.
func ParseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("push URL %q: want the Pushgateway's address like http://pushgateway:9091", raw)
	}
	return nil
}

// Push puts run into the Pushgateway's group {job, run_id, cluster}: one
// group per run, so runs stay apart and a dashboard selects by the cluster
// and scenario labels of the series. A push replaces the group, so pushing
// a record again changes nothing. Samples carry no timestamp (the
// Pushgateway refuses them): cnibench_run_start_timestamp_seconds says when
// the run was. Failed attempts are retried after PushOptions.Backoff; a
// refusal (4xx) is not retried.
func Push(ctx context.Context, run *runrecord.Run, o PushOptions) error {
	if err := ParseURL(o.URL); err != nil {
		return err
	}
	if run.ID == "" {
		return errors.New("the run record has no id: a push needs it to keep the run apart from others")
	}
	mfs, err := Gather(run, Options{Labels: o.Labels})
	if err != nil {
		return err
	}
	job, backoff, timeout := o.Job, o.Backoff, o.Timeout
	if job == "" {
		job = DefaultJob
	}
	if backoff == nil {
		backoff = DefaultBackoff
	}
	if timeout == 0 {
		timeout = DefaultAttemptTimeout
	}
	values := runLabelValues(run, o.Labels)
	doer := &statusDoer{client: &http.Client{Timeout: timeout}}
	p := push.New(o.URL, job).Client(doer)
	grouping := map[string]bool{}
	for i, name := range runLabels {
		if name == "run_id" || name == "cluster" || o.Labels[name] != "" {
			p = p.Grouping(name, values[i])
			grouping[name] = true
		}
	}
	p = p.Gatherer(withoutLabels(mfs, grouping))
	var errs []error
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, timeout)
		doer.status, doer.sent = 0, false
		err := p.PushContext(actx)
		cancel()
		if err == nil {
			return nil
		}
		if !doer.sent { // refused before sending: no retry can change it
			return fmt.Errorf("push to the Pushgateway %s: %w", o.URL, err)
		}
		errs = append(errs, fmt.Errorf("attempt %d: %w", attempt+1, err))
		if doer.status >= 400 && doer.status < 500 || attempt == len(backoff) || ctx.Err() != nil {
			break
		}
		select {
		case <-time.After(backoff[attempt]):
		case <-ctx.Done():
		}
	}
	return fmt.Errorf("push to the Pushgateway %s failed: %w", o.URL, errors.Join(errs...))
}

// withoutLabels returns the families without the labels of the grouping
// key: the Pushgateway adds those to every series of the group itself, and
// refuses a series that has them already.
func withoutLabels(mfs []*dto.MetricFamily, drop map[string]bool) gathered {
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			kept := m.Label[:0]
			for _, lp := range m.Label {
				if !drop[lp.GetName()] {
					kept = append(kept, lp)
				}
			}
			m.Label = kept
		}
	}
	return mfs
}

// gathered serves families already gathered.
type gathered []*dto.MetricFamily

func (g gathered) Gather() ([]*dto.MetricFamily, error) { return g, nil }

var _ prometheus.Gatherer = gathered(nil)

// statusDoer remembers the last response's status, so Push can tell a
// refusal from an outage.
type statusDoer struct {
	client *http.Client
	status int  // of the last response
	sent   bool // a request was attempted
}

func (d *statusDoer) Do(req *http.Request) (*http.Response, error) {
	d.sent = true
	resp, err := d.client.Do(req)
	if resp != nil {
		d.status = resp.StatusCode
	}
	return resp, err
}
