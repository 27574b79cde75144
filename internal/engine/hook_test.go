package engine

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"
)

// TestIntervalHook: Client.Run calls the context's interval hooks, in the
// order they were added and after Client.OnInterval, with every interval
// the result keeps; a context without hooks changes nothing.
func TestIntervalHook(t *testing.T) {
	addr := startServer(t, &Server{})
	var mu sync.Mutex
	var calls []string
	var seen []Interval
	record := func(name string) func(Interval) {
		return func(iv Interval) {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, name)
			if name == "outer" {
				seen = append(seen, iv)
			}
		}
	}
	if ctx := context.Background(); WithIntervalHook(ctx, nil) != ctx || IntervalHook(ctx) != nil {
		t.Fatal("a nil hook or no hook changes the context")
	}
	ctx := WithIntervalHook(WithIntervalHook(context.Background(), record("outer")), record("inner"))
	c := &Client{OnInterval: record("client")}
	spec := Spec{Duration: time.Second, Omit: time.Second, Interval: 500 * time.Millisecond, Rate: 50e6}
	res, err := c.Run(ctx, addr, spec)
	if err != nil {
		t.Fatal(err)
	}
	// Run has returned: the sampler is done with the hooks.
	if len(res.Intervals) < 4 || len(calls) != 3*len(res.Intervals) {
		t.Fatalf("%d intervals in the result, %d hook calls", len(res.Intervals), len(calls))
	}
	for i := 0; i < len(calls); i += 3 {
		if got := calls[i : i+3]; !reflect.DeepEqual(got, []string{"client", "outer", "inner"}) {
			t.Fatalf("call order %v", got)
		}
	}
	if !reflect.DeepEqual(seen, res.Intervals) {
		t.Errorf("the hook saw other intervals than the result keeps:\n%+v\n%+v", seen, res.Intervals)
	}
	if !seen[0].Sum.Omitted || seen[len(seen)-1].Sum.Omitted || seen[len(seen)-1].Sum.BitsPerSecond <= 0 {
		t.Errorf("first interval omitted %v, last %+v", seen[0].Sum.Omitted, seen[len(seen)-1].Sum)
	}

	// Without hooks in the context, only OnInterval is called.
	calls = nil
	res, err = c.Run(context.Background(), addr, Spec{Duration: time.Second, Interval: 500 * time.Millisecond, Rate: 50e6})
	if err != nil || len(calls) != len(res.Intervals) {
		t.Errorf("without hooks: %v, %d calls for %d intervals", err, len(calls), len(res.Intervals))
	}
}
