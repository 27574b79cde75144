package bench

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runrecord"
)

// fill sets every field reachable from v to a non-zero value (slices get
// two elements, pointers a value), so a field the mapping forgets shows in
// the JSON.
func fill(t *testing.T, v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, *n, time.UTC)))
			return
		}
		if v.Type() == reflect.TypeFor[netip.AddrPort]() {
			v.Set(reflect.ValueOf(netip.MustParseAddrPort("198.18.0.1:5201")))
			return
		}
		for i := range v.NumField() {
			fill(t, v.Field(i), n)
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), n)
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			v.SetBytes([]byte(`{"server":1}`))
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(t, v.Index(i), n)
		}
	case reflect.String:
		v.SetString("s" + string(rune('a'+*n%26)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) + 0.5)
	case reflect.Interface:
		v.Set(reflect.ValueOf(map[string]any{"id": "abc"}))
	default:
		t.Fatalf("fill: no value for a %s", v.Type())
	}
}

func filled[T any](t *testing.T) T {
	var v T
	n := 0
	fill(t, reflect.ValueOf(&v).Elem(), &n)
	return v
}

func sameJSON(t *testing.T, what string, engineSide, recordSide any) {
	t.Helper()
	a, err := json.Marshal(engineSide)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(recordSide)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Errorf("%s: the run record's JSON differs from the source's (a field is missing or renamed in internal/bench/record.go or runrecord):\nsource: %s\nrecord: %s", what, a, b)
	}
}

// TestRecordMapsEveryField: every field of the engine's result and the
// cluster's path and info, all set, comes out of the mapping with the same
// JSON, so cnibench.run/v1 is what it was before the record owned its
// types; a field added to an engine or cluster struct fails here until the
// record decides what to do with it.
func TestRecordMapsEveryField(t *testing.T) {
	res := filled[engine.Result](t)
	sameJSON(t, "engine.Result", &res, recordResult(&res))
	sameJSON(t, "engine.Result (zero)", &engine.Result{}, recordResult(&engine.Result{}))
	if recordResult(nil) != nil {
		t.Error("a nil result maps to a non-nil one")
	}
	p := filled[cluster.Path](t)
	sameJSON(t, "cluster.Path", p, recordPath(p))
	info := filled[cluster.Info](t)
	sameJSON(t, "cluster.Info", info, recordCluster(info))
	sameJSON(t, "protocols", []engine.Protocol{engine.TCP, engine.UDP}, recordProtocols([]engine.Protocol{engine.TCP, engine.UDP}))
	sameJSON(t, "no protocols", []engine.Protocol(nil), recordProtocols(nil))
	if runrecord.ModeTCPDiscard != engine.ModeTCPDiscard {
		t.Errorf("the record names discarding %q, the engine %q", runrecord.ModeTCPDiscard, engine.ModeTCPDiscard)
	}
}
