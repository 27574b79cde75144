package golden

import "testing"

func TestFirstDifference(t *testing.T) {
	for _, tc := range []struct {
		got, want string
		line      int
		differ    bool
	}{
		{"a\nb\n", "a\nb\n", 0, false},
		{"a\nc\n", "a\nb\n", 2, true},
		{"a\nb\nextra", "a\nb\n", 3, true},
		{"", "a", 1, true},
	} {
		line, _, _, differ := firstDifference(tc.got, tc.want)
		if line != tc.line || differ != tc.differ {
			t.Errorf("firstDifference(%q, %q) = %d %v, want %d %v", tc.got, tc.want, line, differ, tc.line, tc.differ)
		}
	}
}
