package lab

import (
	"context"
	"testing"

	"github.com/cnibench/cnibench/internal/testenv"
)

// BenchmarkBuildTeardown builds and removes the default 3-node, 6-pod lab
// (target: < 0.5 s together per op).
func BenchmarkBuildTeardown(b *testing.B) {
	testenv.MustBeRoot(b)
	for _, dp := range []Datapath{Routed, VXLAN} {
		b.Run(string(dp), func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				l, err := Build(ctx, Config{Datapath: dp})
				if err != nil {
					b.Fatal(err)
				}
				if err := l.Close(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
