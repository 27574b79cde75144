package bench

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runrecord"
)

// TestResume: a run interrupted after some tests, resumed, ends with
// every test of the plan once, the first attempt's samples kept as they
// were, each sample naming its attempt, and a variant already measured
// not built again.
func TestResume(t *testing.T) {
	plan := Plan{Repeats: 3, Protocols: []engine.Protocol{"tcp", "udp"}}
	opened := map[string]int{}
	variants := func() []Variant {
		var vs []Variant
		for _, label := range []string{"x", "y"} {
			vs = append(vs, Variant{Label: label, Open: func(context.Context) (cluster.Cluster, error) {
				opened[label]++
				return &fakeCluster{nodes: 2, podsPerNode: 2}, nil
			}})
		}
		return vs
	}
	perVariant := len(plan.WithDefaults().Groups("x")) * plan.Repeats
	for _, stopAt := range []int{1, perVariant - 1, perVariant, perVariant + 3} {
		t.Run("", func(t *testing.T) {
			clear(opened)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ev := &recorder{}
			ev.onFinish = func(p Progress) {
				if p.Index == stopAt {
					cancel()
				}
			}
			first, err := RunVariants(ctx, variants(), plan, Options{CommandLine: []string{"cnibench", "run"}, Events: ev})
			if !errors.Is(err, ErrInterrupted) || len(first.Samples) != stopAt {
				t.Fatalf("first attempt: %v, %d samples, want %d", err, len(first.Samples), stopAt)
			}
			kept := append([]runrecord.Sample(nil), first.Samples...)
			clear(opened)
			res, err := RunVariants(context.Background(), variants(), plan,
				Options{CommandLine: []string{"cnibench", "run", "--resume", "r.json"}, Events: &recorder{}, Resume: first})
			if err != nil {
				t.Fatal(err)
			}
			all := res.Plan
			if !res.Complete || len(res.Samples) != 2*perVariant || res.FailedSamples() != 0 {
				t.Fatalf("complete %v, %d samples (%d failed), want %d; last: %s", res.Complete, len(res.Samples), res.FailedSamples(), 2*perVariant, res.Samples[len(res.Samples)-1].Error)
			}
			seen := map[testID]int{}
			for i, s := range res.Samples {
				seen[idOfSample(s)]++
				want := 2
				if i < stopAt {
					want = 1
					if s.Start != kept[i].Start || s.Result != kept[i].Result {
						t.Errorf("sample %d of the first attempt changed", i)
					}
				}
				if s.Attempt != want {
					t.Errorf("sample %d: attempt %d, want %d", i, s.Attempt, want)
				}
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("%v measured %d times", id, n)
				}
			}
			if len(res.Attempts) != 2 || res.Attempts[1].CommandLine[2] != "--resume" || res.Attempts[0].End.IsZero() || res.Attempts[1].End.Before(res.Attempts[1].Start) {
				t.Errorf("attempts %+v", res.Attempts)
			}
			if stopAt >= perVariant && opened["x"] != 0 {
				t.Errorf("variant x was measured in full before, yet built again")
			}
			if len(res.Paths) != 2*defaultScenarios() || len(all.Variants) != 2 {
				t.Errorf("%d paths, variants %v", len(res.Paths), all.Variants)
			}
		})
	}
}

// TestResumeRefuses: a complete record, or one whose plan differs from
// this run's, is not resumed, with the reason.
func TestResumeRefuses(t *testing.T) {
	f := &fakeCluster{nodes: 2, podsPerNode: 2}
	done, err := Run(context.Background(), f, Plan{Repeats: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := *done
	other.Complete = false
	for _, tc := range []struct {
		name string
		rec  *runrecord.Run
		plan Plan
		want string
	}{
		{"complete", done, Plan{Repeats: 2}, "the run is complete"},
		{"other-plan", &other, Plan{Repeats: 3}, "the recorded command line now plans"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RunVariants(context.Background(), []Variant{{Cluster: f}}, tc.plan, Options{Resume: tc.rec, Now: time.Now})
			if !errors.Is(err, ErrCannotResume) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want ErrCannotResume saying %q", err, tc.want)
			}
		})
	}
}
