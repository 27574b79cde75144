package bench

import "testing"

func TestFormatRate(t *testing.T) {
	for v, want := range map[float64]string{9.4123e9: "9.412 Gbit/s", 955.3e6: "955.3 Mbit/s", 12.5e6: "12.50 Mbit/s", 0: "0.000 bit/s", 500: "500.0 bit/s"} {
		if got := FormatRate(v); got != want {
			t.Errorf("FormatRate(%g) = %q, want %q", v, got, want)
		}
	}
}
