package iperf3

import (
	"bytes"
	"errors"
	"testing"
)

func TestIsUDPReply(t *testing.T) {
	tests := []struct {
		in   []byte
		want bool
	}{
		{[]byte("6789"), true},
		{UDPReplyMsg[:], true},
		{UDPLegacyReply[:], true},
		{[]byte{0xb1, 0x68, 0xde, 0x3a}, true},
		{[]byte("9876"), false},
		{UDPLegacyConnect[:], false},
		{[]byte("678"), false},
		{[]byte("67890"), false},
		{nil, false},
		// A data datagram overtaking the reply in reverse mode.
		{append([]byte("6789"), make([]byte, 12)...), false},
	}
	for _, tt := range tests {
		if got := IsUDPReply(tt.in); got != tt.want {
			t.Errorf("IsUDPReply(% x) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if string(UDPConnectMsg[:]) != "9876" || string(UDPReplyMsg[:]) != "6789" {
		t.Error("handshake messages changed")
	}
	// The legacy values are 123456789 and 987654321 in little-endian order.
	if le(UDPLegacyConnect) != 123456789 || le(UDPLegacyReply) != 987654321 {
		t.Error("legacy handshake values changed")
	}
}

func le(b [4]byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func TestUDPHeader(t *testing.T) {
	// Captured first datagram of the 3.12 UDP test (§6.2).
	captured := []byte{0x00, 0x00, 0x26, 0xfa, 0x00, 0x07, 0xd4, 0x82, 0x00, 0x00, 0x00, 0x01, 0xc8, 0x5a}
	tests := []struct {
		name       string
		wire       []byte
		counters64 bool
		want       UDPHeader
	}{
		{"captured 3.12 first packet", captured, false, UDPHeader{Sec: 9978, Usec: 513154, Seq: 1}},
		{"64-bit counters", []byte{0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 3}, true, UDPHeader{Sec: 1, Usec: 2, Seq: 1<<32 + 3}},
		{"max", bytes.Repeat([]byte{0xff}, 16), true, UDPHeader{Sec: 1<<32 - 1, Usec: 1<<32 - 1, Seq: 1<<64 - 1}},
		{"32-bit max", bytes.Repeat([]byte{0xff}, 12), false, UDPHeader{Sec: 1<<32 - 1, Usec: 1<<32 - 1, Seq: 1<<32 - 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseUDPHeader(tt.wire, tt.counters64)
			if err != nil || got != tt.want {
				t.Fatalf("ParseUDPHeader() = %+v, %v; want %+v", got, err, tt.want)
			}
			n := UDPHeaderSize(tt.counters64)
			buf := bytes.Repeat([]byte{0xAA}, n+4)
			tt.want.Put(buf, tt.counters64)
			if !bytes.Equal(buf[:n], tt.wire[:n]) {
				t.Errorf("Put() = % x, want % x", buf[:n], tt.wire[:n])
			}
			if !bytes.Equal(buf[n:], []byte{0xAA, 0xAA, 0xAA, 0xAA}) {
				t.Errorf("Put() wrote past the header: % x", buf)
			}
		})
	}
}

func TestUDPHeaderSize(t *testing.T) {
	if UDPHeaderSize(false) != 12 || UDPHeaderSize(true) != 16 {
		t.Errorf("UDPHeaderSize = %d, %d; want 12, 16", UDPHeaderSize(false), UDPHeaderSize(true))
	}
}

func TestUDPHeaderTruncatesSeq32(t *testing.T) {
	var b [12]byte
	UDPHeader{Seq: 1<<32 + 5}.Put(b[:], false)
	if h, _ := ParseUDPHeader(b[:], false); h.Seq != 5 {
		t.Errorf("32-bit Seq = %d, want 5", h.Seq)
	}
}

func TestParseUDPHeaderShort(t *testing.T) {
	for _, tt := range []struct {
		n          int
		counters64 bool
	}{{0, false}, {11, false}, {0, true}, {12, true}, {15, true}} {
		if _, err := ParseUDPHeader(make([]byte, tt.n), tt.counters64); !errors.Is(err, ErrShortDatagram) {
			t.Errorf("ParseUDPHeader(%d bytes, %v) err = %v, want ErrShortDatagram", tt.n, tt.counters64, err)
		}
	}
}

func TestUDPHeaderPutPanicsOnShortBuffer(t *testing.T) {
	for _, tt := range []struct {
		n          int
		counters64 bool
	}{{11, false}, {15, true}, {0, false}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Put into %d bytes (counters64=%v) did not panic", tt.n, tt.counters64)
				}
			}()
			UDPHeader{}.Put(make([]byte, tt.n), tt.counters64)
		}()
	}
}

func TestUDPHeaderNoAllocs(t *testing.T) {
	buf := make([]byte, 1460)
	short := make([]byte, 3)
	allocs := testing.AllocsPerRun(100, func() {
		h := UDPHeader{Sec: 1, Usec: 2, Seq: 3}
		h.Put(buf, true)
		h.Put(buf, false)
		if _, err := ParseUDPHeader(buf, true); err != nil {
			panic(err)
		}
		if _, err := ParseUDPHeader(short, false); err == nil {
			panic("no error")
		}
		if !IsUDPReply(buf[:4]) && IsUDPReply(buf) {
			panic("impossible")
		}
	})
	if allocs != 0 {
		t.Errorf("UDP header hot path allocates %v times per run", allocs)
	}
}
