package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cnibench/cnibench/internal/cluster"
)

// ipFamilyHelp is --ip-family's usage.
const ipFamilyHelp = "address families to measure over, a list of 4 and 6: each family is a variant with its own node-node baseline (the lab becomes dual-stack for 6; a cluster without the family is refused)"

// parseFamilies reads --ip-family's values: 4, 6, ipv4 or ipv6, each once.
func parseFamilies(vals []string) ([]cluster.Family, error) {
	var fs []cluster.Family
	for _, v := range vals {
		var f cluster.Family
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "4", "ipv4":
			f = cluster.IPv4
		case "6", "ipv6":
			f = cluster.IPv6
		default:
			return nil, fmt.Errorf("--ip-family %q: use 4, 6 or 4,6", v)
		}
		if slices.Contains(fs, f) {
			return nil, fmt.Errorf("--ip-family lists IPv%d twice: give each family once, like 4,6", f)
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// families are --ip-family's families (checked by plan()).
func (o runOptions) families() []cluster.Family {
	fs, _ := parseFamilies(o.ipFamilies)
	return fs
}

// wantsIPv6 reports whether the run measures over IPv6.
func (o runOptions) wantsIPv6() bool { return slices.Contains(o.families(), cluster.IPv6) }
