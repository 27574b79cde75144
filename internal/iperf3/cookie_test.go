package iperf3

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestNewCookie(t *testing.T) {
	seen := map[string]bool{}
	chars := map[rune]bool{}
	for range 1000 {
		c, err := NewCookie()
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != 36 || !ValidCookie(c) {
			t.Fatalf("NewCookie() = %q, want 36 chars of a-z2-7", c)
		}
		if seen[c] {
			t.Fatalf("NewCookie() repeated %q", c)
		}
		seen[c] = true
		for _, r := range c {
			chars[r] = true
		}
		wire := AppendCookie(nil, c)
		if len(wire) != CookieSize || wire[36] != 0 {
			t.Fatalf("AppendCookie(%q) = %q", c, wire)
		}
		got, err := ParseCookie(wire)
		if err != nil || got != c {
			t.Fatalf("ParseCookie(AppendCookie(%q)) = %q, %v", c, got, err)
		}
	}
	if len(chars) != 32 {
		t.Errorf("1000 cookies used %d distinct characters, want all 32", len(chars))
	}
}

func TestValidCookie(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"hldl5eomoknkuoh5susrf77obgqdwmma5kmb", true},
		{"", false},
		{strings.Repeat("a", 35), false},
		{strings.Repeat("a", 37), false},
		{strings.Repeat("a", 35) + "1", false}, // 0, 1, 8, 9 are not base32
		{strings.Repeat("a", 35) + "A", false},
		{strings.Repeat("a", 35) + "\x00", false},
	}
	for _, tt := range tests {
		if got := ValidCookie(tt.in); got != tt.want {
			t.Errorf("ValidCookie(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestAppendCookie(t *testing.T) {
	const c = "hldl5eomoknkuoh5susrf77obgqdwmma5kmb"
	tests := []struct {
		name   string
		prefix []byte
		cookie string
		want   []byte
	}{
		{"captured", nil, c, []byte(c + "\x00")},
		{"appends", []byte{0xAA}, c, []byte("\xAA" + c + "\x00")},
		{"empty cookie unchanged", []byte{1}, "", []byte{1}},
		{"short cookie unchanged", []byte{1}, c[:35], []byte{1}},
		{"long cookie unchanged", nil, c + "a", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendCookie(tt.prefix, tt.cookie)
			if !bytes.Equal(got, tt.want) {
				t.Errorf("AppendCookie() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseCookie(t *testing.T) {
	const c = "hldl5eomoknkuoh5susrf77obgqdwmma5kmb"
	tests := []struct {
		name    string
		in      []byte
		want    string
		wantErr error
	}{
		{"captured", []byte(c + "\x00"), c, nil},
		{"36 bytes", []byte(c), "", ErrCookieSize},
		{"38 bytes", []byte(c + "\x00\x00"), "", ErrCookieSize},
		{"empty", nil, "", ErrCookieSize},
		{"no NUL", []byte(c + "x"), "", ErrCookieNoNUL},
		{"NUL first", append([]byte{0}, c...), "", nil},
		{"NUL inside (C string)", []byte("abc\x00" + c[4:] + "\x00"), "abc", nil},
		{"content not checked", []byte(strings.Repeat("\xff", 36) + "\x00"), strings.Repeat("\xff", 36), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCookie(tt.in)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("ParseCookie(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
