package runrecord

import (
	"reflect"
	"testing"

	"github.com/cnibench/cnibench/internal/stats"
)

func TestBlockSizes(t *testing.T) {
	sample := func(p stats.Protocol, length int, failed bool) Sample {
		s := Sample{Protocol: p, Result: &Result{Spec: Spec{Protocol: p, Length: length}}}
		if failed {
			s.Error = "connect: refused"
		}
		return s
	}
	r := &Run{Samples: []Sample{
		sample(stats.TCP, 1<<20, false), sample(stats.UDP, 1448, false), sample(stats.TCP, 1<<20, false),
		sample(stats.UDP, 1400, false), sample(stats.TCP, 128<<10, true), // a failed test used nothing
	}}
	want := map[stats.Protocol][]int{stats.TCP: {1 << 20}, stats.UDP: {1448, 1400}}
	if got := r.BlockSizes(); !reflect.DeepEqual(got, want) {
		t.Errorf("BlockSizes = %v, want %v", got, want)
	}
}
