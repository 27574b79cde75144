package cli

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/spf13/pflag"
)

// maxSweepValues bounds one flag's list: each value multiplies the run.
const maxSweepValues = 64

// sweepSyntax is the help of every numeric list flag.
const sweepSyntax = "a list like 1,2,4 or a range A..B (step 1), A..B+S (step S) or A..BxF (factor F; from 0: 0,F,F², …); A and B are always in it"

// sweepValue is a numeric list flag that takes ranges as well as values:
// "1,4", "1..8x2", "0..10000x10", "64..1Mx8", "1400..9000+100". It keeps
// the words as given (a plan file and the run record hold them); ints
// parses them, the one place these lists are read.
type sweepValue struct {
	unit    sweepUnit
	words   []string
	changed bool
}

func newSweepValue(unit sweepUnit, def ...string) *sweepValue {
	return &sweepValue{unit: unit, words: def}
}

func (v *sweepValue) Type() string { return "sweep" }

func (v *sweepValue) String() string { return "[" + strings.Join(v.words, ",") + "]" }

// Set takes a comma list; the flag given twice appends, as pflag's lists do.
func (v *sweepValue) Set(s string) error {
	words, err := v.check(s)
	if err != nil {
		return err
	}
	if !v.changed {
		v.words, v.changed = nil, true
	}
	v.words = append(v.words, words...)
	return nil
}

func (v *sweepValue) Append(s string) error {
	words, err := v.check(s)
	v.words = append(v.words, words...)
	return err
}

func (v *sweepValue) Replace(s []string) error {
	var all []string
	for _, w := range s {
		words, err := v.check(w)
		if err != nil {
			return err
		}
		all = append(all, words...)
	}
	v.words, v.changed = all, true
	return nil
}

// check splits a comma list into its words, each a value or range.
func (v *sweepValue) check(s string) ([]string, error) {
	words := splitWords(s)
	for _, w := range words {
		if _, err := expandSweepWord(w, v.unit); err != nil {
			return nil, fmt.Errorf("%s: %w (%s)", w, err, sweepSyntax)
		}
	}
	return words, nil
}

func (v *sweepValue) GetSlice() []string { return slices.Clone(v.words) }

var _ pflag.SliceValue = (*sweepValue)(nil)

func splitWords(s string) []string {
	var out []string
	for _, w := range strings.Split(s, ",") {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// sweepUnit reads one number of a flag: a plain whole number, or a size
// with a K/M/G suffix.
type sweepUnit func(string) (int64, error)

// plainInt reads a whole number without a unit.
func plainInt(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	return n, nil
}

// ints expands the flag's words into its values, in the order given, each
// once. flag names the flag in errors, which say how to write a list.
func (v *sweepValue) ints(flag string) ([]int, error) {
	return parseSweep(flag, v.words, v.unit)
}

func parseSweep(flag string, words []string, unit sweepUnit) ([]int, error) {
	var out []int
	for _, w := range words {
		vals, err := expandSweepWord(w, unit)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w (%s)", flag, w, err, sweepSyntax)
		}
		for _, x := range vals {
			if !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
		if len(out) > maxSweepValues {
			return nil, fmt.Errorf("%s: more than %d values: each one multiplies the run; use a larger step or factor", flag, maxSweepValues)
		}
	}
	return out, nil
}

// expandSweepWord is one item of a list: a value or a range.
func expandSweepWord(w string, unit sweepUnit) ([]int, error) {
	from, rest, isRange := strings.Cut(w, "..")
	if !isRange {
		n, err := unit(w)
		if err != nil {
			return nil, err
		}
		return []int{int(n)}, nil
	}
	a, err := unit(from)
	if err != nil {
		return nil, fmt.Errorf("range start: %w", err)
	}
	to, by, factor := rest, "", false
	if i := strings.IndexAny(rest, "x+"); i >= 0 {
		to, by, factor = rest[:i], rest[i+1:], rest[i] == 'x'
	}
	b, err := unit(to)
	if err != nil {
		return nil, fmt.Errorf("range end: %w", err)
	}
	if b < a {
		return nil, fmt.Errorf("range end %d is below its start %d: write the smaller value first", b, a)
	}
	if factor {
		f, err := strconv.ParseFloat(by, 64)
		if err != nil || !(f > 1) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("factor %q: use a number above 1, like x2 or x10", by)
		}
		return factorRange(a, b, f), nil
	}
	step := int64(1)
	if by != "" {
		if step, err = unit(by); err != nil || step < 1 {
			return nil, fmt.Errorf("step %q: use a positive number, like +100", by)
		}
	}
	if (b-a)/step+1 > maxSweepValues {
		return nil, fmt.Errorf("%d values: use a larger step, or a factor (x2)", (b-a)/step+1)
	}
	var vals []int
	for x := a; x < b; x += step {
		vals = append(vals, int(x))
	}
	return append(vals, int(b)), nil
}

// factorRange is a, a·f, a·f², … below b, then b; from 0 it goes on at f.
func factorRange(a, b int64, f float64) []int {
	vals := []int{int(a)}
	x := float64(a) * f
	if a == 0 {
		x = f
	}
	for ; int64(math.Round(x)) < b && len(vals) <= maxSweepValues; x *= f {
		if n := int(math.Round(x)); n != vals[len(vals)-1] {
			vals = append(vals, n)
		}
	}
	if vals[len(vals)-1] != int(b) {
		vals = append(vals, int(b))
	}
	return vals
}

// knobLists are --msg-size's and --mss's values; more than one is a sweep,
// each value a variant of its own (bench.SweepVariants).
func (o runOptions) knobLists() (msgSizes, mss []int, err error) {
	msgSizes, err = o.msgSize.ints("--msg-size")
	if err != nil {
		return nil, nil, err
	}
	mss, err = o.mss.ints("--mss")
	return msgSizes, mss, err
}

// checkKnobs checks a sweep's values as the plan checks its own (one
// value is the plan's), each error naming its flag.
func checkKnobs(p bench.Plan, msgSizes, mss []int) []error {
	var errs []error
	check := func(flag string, vals []int, knob func(int) bench.Knobs) {
		if len(vals) < 2 {
			return
		}
		for _, v := range vals {
			if err := p.CheckKnobs(knob(v)); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", flag, err))
			}
		}
	}
	check("--msg-size", msgSizes, func(v int) bench.Knobs { return bench.Knobs{MsgSize: v} })
	check("--mss", mss, func(v int) bench.Knobs { return bench.Knobs{MSS: v} })
	return errs
}

// sweep crosses the cluster's variants with --ip-family's families, then
// with --msg-size's and --mss's values.
func (o runOptions) sweep(vs []bench.Variant) []bench.Variant {
	msgSizes, mss, _ := o.knobLists() // checked by plan()
	return bench.SweepVariants(bench.SweepFamilies(vs, o.families()), msgSizes, mss)
}

// parsePercent reads a share given in percent, "20%" or "20", as a
// fraction in (0, 1).
func parsePercent(flag, s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || !(v > 0 && v < 100) {
		return 0, fmt.Errorf("%s %q: give a percentage above 0 and below 100, like 20%%", flag, s)
	}
	return v / 100, nil
}
