package iperf3

import (
	"bytes"
	"errors"
	"testing"
)

func TestState(t *testing.T) {
	tests := []struct {
		wire  byte
		state State
		name  string
		known bool
	}{
		{0x01, TestStart, "TEST_START", true},
		{0x02, TestRunning, "TEST_RUNNING", true},
		{0x04, TestEnd, "TEST_END", true},
		{0x09, ParamExchange, "PARAM_EXCHANGE", true},
		{0x0A, CreateStreams, "CREATE_STREAMS", true},
		{0x0B, ServerTerminate, "SERVER_TERMINATE", true},
		{0x0C, ClientTerminate, "CLIENT_TERMINATE", true},
		{0x0D, ExchangeResults, "EXCHANGE_RESULTS", true},
		{0x0E, DisplayResults, "DISPLAY_RESULTS", true},
		{0x10, IperfDone, "IPERF_DONE", true},
		{0xFF, AccessDenied, "ACCESS_DENIED", true},
		{0xFE, ServerError, "SERVER_ERROR", true},
		{0x00, 0, "STATE(0)", false},
		{0x03, 3, "STATE(3)", false}, // RESULT_REQUEST, never sent
		{0x08, 8, "STATE(8)", false},
		{0x0F, 15, "STATE(15)", false}, // IPERF_START, never sent
		{0x11, 17, "STATE(17)", false},
		{0x80, -128, "STATE(-128)", false},
		{0xFD, -3, "STATE(-3)", false},
	}
	for _, tt := range tests {
		s := State(int8(tt.wire))
		if s != tt.state {
			t.Errorf("State(int8(%#x)) = %d, want %d", tt.wire, s, tt.state)
		}
		if byte(s) != tt.wire {
			t.Errorf("byte(%v) = %#x, want %#x", s, byte(s), tt.wire)
		}
		if got := s.String(); got != tt.name {
			t.Errorf("State(%d).String() = %q, want %q", s, got, tt.name)
		}
		if got := s.Known(); got != tt.known {
			t.Errorf("State(%d).Known() = %v, want %v", s, got, tt.known)
		}
	}
}

func TestServerError(t *testing.T) {
	// Captured for -w 400M: i_errno 141, errno 0.
	captured := []byte{0xfe, 0, 0, 0, 0x8d, 0, 0, 0, 0}
	if got := AppendServerError(nil, 141, 0); !bytes.Equal(got, captured) {
		t.Errorf("AppendServerError(141, 0) = % x, want % x", got, captured)
	}
	if got := AppendServerError([]byte{0x0d}, 1, -1); !bytes.Equal(got, []byte{0x0d, 0xfe, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}) {
		t.Errorf("AppendServerError appends wrongly: % x", got)
	}

	tests := []struct {
		name          string
		in            []byte
		ierrno, errno int32
		wantErr       error
	}{
		{"captured", captured[1:], 141, 0, nil},
		{"auth failure, 3.12 sends one int", []byte{0, 0, 0, 142}, 142, 0, nil},
		{"errno set", []byte{0, 0, 0, 0xca, 0, 0, 0, 0x62}, 202, 98, nil},
		{"negative", []byte{0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 0}, -1, -1 << 31, nil},
		{"empty", nil, 0, 0, ErrServerErrorSize},
		{"3 bytes", []byte{0, 0, 0}, 0, 0, ErrServerErrorSize},
		{"5 bytes", []byte{0, 0, 0, 1, 0}, 0, 0, ErrServerErrorSize},
		{"9 bytes", captured, 0, 0, ErrServerErrorSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ie, en, err := ParseServerError(tt.in)
			if !errors.Is(err, tt.wantErr) || ie != tt.ierrno || en != tt.errno {
				t.Errorf("ParseServerError(% x) = %d, %d, %v; want %d, %d, %v", tt.in, ie, en, err, tt.ierrno, tt.errno, tt.wantErr)
			}
		})
	}
}

func TestErrnoText(t *testing.T) {
	tests := []struct {
		ierrno int32
		want   string
	}{
		{121, "the server is busy running a test"},
		{141, "socket buffer size not set correctly"},
		{109, "control socket has closed unexpectedly"},
		{208, "stream has an invalid id"},
		{160, "server test duration expired"},
		{999, "iperf3 error 999"},
		{-5, "iperf3 error -5"},
	}
	for _, tt := range tests {
		if got := ErrnoText(tt.ierrno); got != tt.want {
			t.Errorf("ErrnoText(%d) = %q, want %q", tt.ierrno, got, tt.want)
		}
	}
	// Every value of the §2.4 list has a text.
	for _, e := range []int32{27, 37, 101, 102, 103, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117,
		119, 120, 121, 122, 123, 124, 125, 126, 127, 130, 134, 140, 141, 142, 144, 145, 160,
		200, 201, 202, 203, 204, 205, 206, 207, 208} {
		if _, ok := errnoTexts[e]; !ok {
			t.Errorf("ErrnoText(%d) has no text", e)
		}
	}
}

func TestRemoteError(t *testing.T) {
	tests := []struct {
		err  RemoteError
		want string
	}{
		{RemoteError{141, 0}, "iperf3 server error 141: socket buffer size not set correctly"},
		{RemoteError{202, 98}, "iperf3 server error 202: unable to start stream listener (errno 98)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%#v.Error() = %q, want %q", tt.err, got, tt.want)
		}
	}
}
