package iperf3

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
)

// CookieSize is the cookie's length on the wire: 36 characters and a NUL (§2.1).
const CookieSize = 37

// cookieLen is the number of characters in a cookie, without the NUL.
const cookieLen = CookieSize - 1

// cookieAlphabet is RFC 4648 base32 in lower case; 256 is a multiple of its
// length, so mapping a random byte modulo 32 is unbiased.
const cookieAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// NewCookie returns a fresh 36-character cookie drawn from crypto/rand over
// the alphabet a-z2-7, as the iperf3 client makes one per test.
func NewCookie() (string, error) {
	var b [cookieLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("iperf3: making cookie: %w", err)
	}
	for i := range b {
		b[i] = cookieAlphabet[b[i]%32]
	}
	return string(b[:]), nil
}

// ValidCookie reports whether s is a cookie this package would generate:
// exactly 36 characters from the alphabet a-z2-7. Servers do not require
// this of peers (they compare cookies as C strings); it is for checking our
// own input before [AppendCookie].
func ValidCookie(s string) bool {
	if len(s) != cookieLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

// AppendCookie appends the wire form of cookie (its 36 characters and a
// NUL, [CookieSize] bytes) to b.
//
// The cookie must be exactly 36 bytes long. Padding or truncating would
// silently send a cookie the peer does not expect, so a cookie of any other
// length is a programming error: AppendCookie then returns b unchanged, and
// the caller notices that nothing was appended. Check with [ValidCookie]
// when the cookie does not come from [NewCookie].
func AppendCookie(b []byte, cookie string) []byte {
	if len(cookie) != cookieLen {
		return b
	}
	b = append(b, cookie...)
	return append(b, 0)
}

// Errors returned by [ParseCookie].
var (
	ErrCookieSize  = errors.New("iperf3: cookie is not 37 bytes")
	ErrCookieNoNUL = errors.New("iperf3: cookie has no NUL terminator")
)

// ParseCookie decodes the [CookieSize] bytes read from the start of a
// control or TCP data connection. It returns the text up to the first NUL,
// which is what an iperf3 server compares (as a C string), so the result may
// be shorter than 36 characters and its content is not checked. It fails if
// len(b) is not 37 or b holds no NUL.
func ParseCookie(b []byte) (string, error) {
	if len(b) != CookieSize {
		return "", ErrCookieSize
	}
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return "", ErrCookieNoNUL
	}
	return string(b[:i]), nil
}
