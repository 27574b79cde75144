package units

import (
	"strings"
	"testing"
)

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
	}{
		{"0", 0},
		{"0mbit", 0},
		{"1000000", 1e6}, // a bare number is bits/s, in iperf3 and tc alike
		{"1e9", 1e9},
		{"500M", 500e6}, // iperf3: SI, bits
		{"500m", 500e6},
		{"1G", 1e9},
		{"1.5G", 1.5e9},
		{"100K", 100e3},
		{"2T", 2e12},
		{"500mbit", 500e6}, // tc
		{"1gbit", 1e9},
		{"10Gbit", 10e9},
		{"100kbit", 100e3},
		{"8bit", 8},
		{"1gibit", 1 << 30},
		{"1Mibit", 1 << 20},
		{"100mbps", 800e6}, // tc: bytes per second
		{"100MBps", 800e6},
		{"1kbps", 8000},
		{"10bps", 80},
		{"1kibps", 8 * 1024},
		{"500 Mbit/s", 500e6}, // what FormatRate prints
		{"9.406 Gbit/s", 9.406e9},
		{" 1gbit ", 1e9},
		{"1.5", 2}, // rounded to whole bits
	} {
		got, err := ParseRate(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseRateErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "is not a rate"},
		{"fast", "is not a rate"},
		{"gbit", "is not a rate"},
		{"1.2.3M", "is not a rate"},
		{"-1gbit", "negative"},
		{"-5", "negative"},
		{"1x", `unknown unit "x"`},
		{"1e", `unknown unit "e"`},
		{"1mb", `unknown unit "mb"`},
		{"10%", `unknown unit "%"`},
		{"5M/100", `unknown unit "M/100"`},
		{"1e30", "more than 1000 Tbit/s"},
		{"99999999999tbit", "more than"},
	} {
		_, err := ParseRate(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseRate(%q) = %v, want an error with %q", tc.in, err, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), "500M") {
			t.Errorf("ParseRate(%q): %v does not show an accepted form", tc.in, err)
		}
	}
}

func TestFormatRate(t *testing.T) {
	for _, tc := range []struct {
		bps  float64
		want string
	}{
		{0, "0 bit/s"},
		{999, "999 bit/s"},
		{100e3, "100 kbit/s"},
		{500e6, "500 Mbit/s"},
		{953.24e6, "953.2 Mbit/s"},
		{1e9, "1 Gbit/s"},
		{1.5e9, "1.5 Gbit/s"},
		{9.4061e9, "9.406 Gbit/s"},
		{25e9, "25 Gbit/s"},
		{2e12, "2 Tbit/s"},
	} {
		got := FormatRate(tc.bps)
		if got != tc.want {
			t.Errorf("FormatRate(%g) = %q, want %q", tc.bps, got, tc.want)
		}
		if _, err := ParseRate(got); err != nil { // what is printed can be typed back
			t.Errorf("ParseRate(FormatRate(%g)): %v", tc.bps, err)
		}
	}
}

func TestFlagRateRoundTrip(t *testing.T) {
	for _, bps := range []uint64{0, 8, 100e3, 500e6, 1e9, 10e9, 1500e3, 1234} {
		s := FlagRate(bps)
		if back, err := ParseRate(s); err != nil || back != bps {
			t.Errorf("ParseRate(FlagRate(%d) = %q) = %d, %v", bps, s, back, err)
		}
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"500M", "1gbit", "100mbps", "1.5e3kibit", "-1", "", "9.406 Gbit/s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseRate(s)
		if err != nil {
			return
		}
		if float64(v) > MaxRate {
			t.Fatalf("ParseRate(%q) = %d, above MaxRate", s, v)
		}
		if back, err := ParseRate(FormatRate(float64(v))); err != nil {
			t.Fatalf("ParseRate(FormatRate(%d)) = %d, %v", v, back, err)
		}
	})
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int]string{0: "0 B", 1448: "1448 B", 128 << 10: "128 KiB", 1 << 20: "1 MiB", 1536: "1536 B", 3 << 20: "3 MiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFormatFigure(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{{7.5, "7.500"}, {75, "75.00"}, {750, "750.0"}, {7500, "7500"}, {-0.25, "-0.250"}} {
		if got := FormatFigure(tc.v); got != tc.want {
			t.Errorf("FormatFigure(%g) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
