// Package units reads and writes rates and sizes: one syntax for every
// rate flag (iperf3's and tc's spellings), one way to print a rate.
package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MaxRate bounds a parsed rate (bits/s): far above any link, far below
// uint64's limit, so a typo like 1e30 is an error rather than a wrap.
const MaxRate = 1e15

// RateForms lists what ParseRate accepts, for errors and help texts.
const RateForms = "bits/s as iperf3 writes them (500M, 1.5G, 100K, 2000000), " +
	"tc's bit units (500mbit, 1gbit, 100kbit, 1gibit) or tc's byte units " +
	"(bps, kbps, mbps, gbps are BYTES per second, as in tc: 100mbps = 800 Mbit/s)"

// rateUnits maps a lowercase unit to bits per second. iperf3's K/M/G/T
// and tc's units are decimal; tc's "i" units are powers of 1024; tc's
// "bps" units count bytes. "bit/s" units read back what FormatRate prints.
var rateUnits = func() map[string]float64 {
	m := map[string]float64{"": 1, "bit": 1, "bit/s": 1, "bps": 8}
	for i, p := range []string{"k", "m", "g", "t"} {
		dec := math.Pow(1000, float64(i+1))
		bin := math.Pow(1024, float64(i+1))
		m[p] = dec // iperf3
		m[p+"bit"], m[p+"bit/s"], m[p+"bps"] = dec, dec, 8*dec
		m[p+"ibit"], m[p+"ibps"] = bin, 8*bin
	}
	return m
}()

// ParseRate reads a rate in bits per second: a number, then optionally a
// unit (case does not matter) from RateForms. "0" is 0; callers decide
// what 0 means (unshaped, or an error).
func ParseRate(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	num, unit := splitNumber(t)
	if num == "" {
		return 0, fmt.Errorf("%q is not a rate: use %s", s, RateForms)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a rate: use %s", s, RateForms)
	}
	mult, ok := rateUnits[strings.ToLower(strings.TrimSpace(unit))]
	if !ok {
		return 0, fmt.Errorf("rate %q: unknown unit %q: use %s", s, strings.TrimSpace(unit), RateForms)
	}
	switch bps := v * mult; {
	case v < 0:
		return 0, fmt.Errorf("rate %q is negative: give a rate like 500M or 1gbit", s)
	case bps > MaxRate:
		return 0, fmt.Errorf("rate %q is more than %s: give a rate like 500M or 1gbit", s, FormatRate(MaxRate))
	default:
		return uint64(math.Round(bps)), nil
	}
}

// splitNumber splits "1.5e3kbit" into "1.5e3" and "kbit".
func splitNumber(s string) (num, unit string) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	for i < len(s) {
		c := s[i]
		switch {
		case c >= '0' && c <= '9' || c == '.':
			i++
		case (c == 'e' || c == 'E') && i+1 < len(s) && (s[i+1] >= '0' && s[i+1] <= '9' || s[i+1] == '-' || s[i+1] == '+'):
			i += 2
		default:
			return s[:i], s[i:]
		}
	}
	return s, ""
}

// FormatRate prints bits/s the one way cnibench prints rates: decimal
// units, at most 4 significant digits, no trailing zeros: "500 Mbit/s",
// "1 Gbit/s", "9.406 Gbit/s".
func FormatRate(bps float64) string {
	div, unit := 1.0, "bit/s"
	for _, u := range []struct {
		div  float64
		name string
	}{{1e12, "Tbit/s"}, {1e9, "Gbit/s"}, {1e6, "Mbit/s"}, {1e3, "kbit/s"}} {
		if math.Abs(bps) >= u.div {
			div, unit = u.div, u.name
			break
		}
	}
	n := FormatFigure(bps / div)
	if strings.Contains(n, ".") {
		n = strings.TrimRight(strings.TrimRight(n, "0"), ".")
	}
	return n + " " + unit
}

// FormatFigure writes v with four significant digits below 1000 and none
// after the point above ("7.500", "75.00", "750.0", "7500"), so the figures
// of one column line up: FormatRate's figure before it trims zeros.
func FormatFigure(v float64) string {
	prec := 0
	switch a := math.Abs(v); {
	case a < 10:
		prec = 3
	case a < 100:
		prec = 2
	case a < 1000:
		prec = 1
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// FlagRate writes bits/s as tc and the rate flags spell it ("500mbit"),
// for labels that read like the flag that made them.
func FlagRate(bps uint64) string {
	switch {
	case bps == 0:
		return "0"
	case bps%1e9 == 0:
		return fmt.Sprintf("%dgbit", bps/1e9)
	case bps%1e6 == 0:
		return fmt.Sprintf("%dmbit", bps/1e6)
	case bps%1e3 == 0:
		return fmt.Sprintf("%dkbit", bps/1e3)
	}
	return fmt.Sprintf("%dbit", bps)
}

// FormatSize prints a byte count the way iperf3's -l reads it: "1 MiB",
// "128 KiB", "1448 B".
func FormatSize(n int) string {
	switch {
	case n != 0 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n != 0 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
