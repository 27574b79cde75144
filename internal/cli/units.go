package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseSize reads iperf3-style sizes (-l, -w, -n): a number with an
// optional K, M, G or T suffix in powers of 1024. Rates are read by
// units.ParseRate, the one parser of every rate flag.
func parseSize(s string) (int64, error) {
	return parseUnits(s, 1024)
}

func parseUnits(s string, base float64) (int64, error) {
	orig := s
	s = strings.TrimSpace(s)
	mult := 1.0
	if n := len(s); n > 0 {
		switch strings.ToUpper(s[n-1:]) {
		case "K":
			mult = base
		case "M":
			mult = base * base
		case "G":
			mult = base * base * base
		case "T":
			mult = base * base * base * base
		}
		if mult != 1 {
			s = s[:n-1]
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a size: use a number with an optional K, M, G or T suffix, e.g. 128K", orig)
	}
	return int64(v * mult), nil
}

// seconds turns a flag in (possibly fractional) seconds into a Duration.
func seconds(v float64) time.Duration { return time.Duration(v * float64(time.Second)) }
