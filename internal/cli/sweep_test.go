package cli

import (
	"slices"
	"strings"
	"testing"
)

func TestParseSweep(t *testing.T) {
	for _, tc := range []struct {
		words []string
		unit  sweepUnit
		want  []int
	}{
		{[]string{"1", "4"}, plainInt, []int{1, 4}},
		{[]string{"1..8x2"}, plainInt, []int{1, 2, 4, 8}},
		{[]string{"1..6x2"}, plainInt, []int{1, 2, 4, 6}},
		{[]string{"0..10000x10"}, plainInt, []int{0, 10, 100, 1000, 10000}},
		{[]string{"1..4"}, plainInt, []int{1, 2, 3, 4}},
		{[]string{"1400..1700+100"}, plainInt, []int{1400, 1500, 1600, 1700}},
		{[]string{"1400..1650+100"}, plainInt, []int{1400, 1500, 1600, 1650}},
		{[]string{"64", "512", "1K", "64K", "1M"}, parseSize, []int{64, 512, 1024, 64 << 10, 1 << 20}},
		{[]string{"64..1Mx8"}, parseSize, []int{64, 512, 4096, 32768, 262144, 1 << 20}},
		{[]string{"1", "1..2"}, plainInt, []int{1, 2}}, // each value once
		{[]string{"5..5"}, plainInt, []int{5}},
		{nil, plainInt, nil},
	} {
		got, err := parseSweep("--x", tc.words, tc.unit)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%v: %v, %v; want %v", tc.words, got, err, tc.want)
		}
	}
}

func TestParseSweepErrors(t *testing.T) {
	for _, tc := range []struct {
		word, want string
	}{
		{"many", `not a whole number`},
		{"8..1", "write the smaller value first"},
		{"1..8x1", "use a number above 1"},
		{"1..8xx", "use a number above 1"},
		{"1..8+0", "use a positive number"},
		{"1..1000", "use a larger step"},
		{"0..1000000000x1.01", "more than 64 values"},
		{"1..", "range end"},
	} {
		_, err := parseSweep("--streams", []string{tc.word}, plainInt)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "--streams") {
			t.Errorf("%q: %v, want an error naming --streams and %q", tc.word, err, tc.want)
		}
	}
}

func TestSweepValueFlag(t *testing.T) {
	v := newSweepValue(plainInt, "1")
	if err := v.Set("1..4x2"); err != nil {
		t.Fatal(err)
	}
	if err := v.Set("8"); err != nil { // given twice: appends
		t.Fatal(err)
	}
	got, err := v.ints("--streams")
	if err != nil || !slices.Equal(got, []int{1, 2, 4, 8}) {
		t.Errorf("%v %v", got, err)
	}
	if err := v.Replace([]string{"2,3"}); err != nil || !slices.Equal(v.GetSlice(), []string{"2", "3"}) {
		t.Errorf("replace: %v %v", v.GetSlice(), err)
	}
	if err := v.Set("1..x"); err == nil || !strings.Contains(err.Error(), "A..BxF") {
		t.Errorf("a bad range: %v, want the syntax in the error", err)
	}
}

func TestParsePercent(t *testing.T) {
	for in, want := range map[string]float64{"20%": 0.2, "20": 0.2, " 0.1% ": 0.001} {
		if got, err := parsePercent("--knee-drop", in); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "100%", "x", "-5"} {
		if _, err := parsePercent("--knee-drop", in); err == nil || !strings.Contains(err.Error(), "--knee-drop") {
			t.Errorf("%q: %v, want an error naming the flag", in, err)
		}
	}
}
