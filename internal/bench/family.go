package bench

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/cnibench/cnibench/internal/cluster"
)

// FamilyLabel is how a variant's label names its family: "IPv4", "IPv6".
func FamilyLabel(f cluster.Family) string { return fmt.Sprintf("IPv%d", f) }

// SweepFamilies crosses each variant with every address family: each
// family is a variant of its own, labelled "ip-family=IPv6" and compared
// with its own node-node baseline, run on the cluster of the variant it
// was crossed with (built once: a dual-stack cluster carries both). nil,
// or IPv4 alone (every cluster's default), leaves vs as they are.
func SweepFamilies(vs []Variant, families []cluster.Family) []Variant {
	if len(families) == 0 || (len(families) == 1 && families[0] == cluster.IPv4) {
		return vs
	}
	var out []Variant
	for i, v := range vs {
		for _, f := range families {
			nv := v
			nv.Knobs.Family = f
			nv.Label = joinLabel(v.Label, "ip-family="+FamilyLabel(f))
			if len(families) > 1 && nv.Cluster == nil && v.Share == "" {
				nv.Share = fmt.Sprintf("ip-family-%d", i)
			}
			out = append(out, nv)
		}
	}
	return out
}

// addrOf is the first of addrs in family f (any family's first when f is
// 0), and whether there is one.
func addrOf(addrs []netip.Addr, f cluster.Family) (netip.Addr, bool) {
	for _, a := range addrs {
		if f == 0 || cluster.FamilyOf(a) == f {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// checkFamily explains which endpoint of the placements has no address
// of family f, naming the fix: a test over f needs both its ends in f.
func checkFamily(placed []placement, f cluster.Family) error {
	if f == 0 {
		return nil
	}
	var seen []string
	for _, pl := range placed {
		for _, e := range []cluster.Endpoint{pl.from, pl.to} {
			if slices.Contains(seen, e.Name) {
				continue
			}
			seen = append(seen, e.Name)
			if _, ok := addrOf(e.Addrs, f); !ok {
				return fmt.Errorf("%s (%s) has no %s address, only %v: measure a family every endpoint has (--ip-family), or make the cluster dual-stack",
					e.Name, pl.scenario.Name, FamilyLabel(f), e.Addrs)
			}
		}
	}
	return nil
}

// inFamily is a direct target readdressed to its backend's address of
// family f, on the same port (unchanged when f is 0 or it already is).
func inFamily(t cluster.Target, f cluster.Family) (cluster.Target, error) {
	if f == 0 || cluster.FamilyOf(t.Addr.Addr()) == f {
		return t, nil
	}
	a, ok := addrOf(t.Backend.Addrs, f)
	if !ok {
		return t, fmt.Errorf("%s has no %s address", t.Backend.Name, FamilyLabel(f))
	}
	t.Addr = netip.AddrPortFrom(a, t.Addr.Port())
	return t, nil
}
