package engine

import (
	"encoding/binary"
	"net"
	"testing"
	"time"
	"unsafe"

	"github.com/cnibench/cnibench/internal/testenv"
	"golang.org/x/sys/unix"
)

// groCmsg builds the control message the kernel writes for a coalesced read.
func groCmsg(level, typ int32, seg uint32) []byte {
	b := make([]byte, unix.CmsgSpace(4))
	h := (*unix.Cmsghdr)(unsafePtr(b))
	h.Level, h.Type = level, typ
	h.SetLen(unix.CmsgLen(4))
	binary.NativeEndian.PutUint32(b[unix.CmsgLen(0):], seg)
	return b
}

func TestGROSegment(t *testing.T) {
	tests := []struct {
		name string
		oob  []byte
		n    int
		want int
	}{
		{"no control message: one datagram", nil, 1400, 1400},
		{"coalesced batch", groCmsg(unix.SOL_UDP, unix.UDP_GRO, 1400), 14000, 1400},
		{"segment as large as the read: one", groCmsg(unix.SOL_UDP, unix.UDP_GRO, 1400), 1400, 1400},
		{"zero segment ignored", groCmsg(unix.SOL_UDP, unix.UDP_GRO, 0), 2800, 2800},
		{"another message ignored", groCmsg(unix.SOL_SOCKET, unix.SCM_TIMESTAMP, 1400), 2800, 2800},
		{"after another message", append(groCmsg(unix.SOL_SOCKET, unix.SCM_TIMESTAMP, 9), groCmsg(unix.SOL_UDP, unix.UDP_GRO, 700)...), 2800, 700},
		{"truncated header", []byte{1, 2, 3}, 2800, 2800},
		{"length past the end", func() []byte { b := groCmsg(unix.SOL_UDP, unix.UDP_GRO, 700); b[0] = 200; return b }(), 2800, 2800},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := groSegment(tt.oob, tt.n); got != tt.want {
				t.Fatalf("groSegment = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestEachDatagram(t *testing.T) {
	var sizes []int
	eachDatagram(make([]byte, 3500), 1400, func(d []byte) { sizes = append(sizes, len(d)) })
	if len(sizes) != 3 || sizes[0] != 1400 || sizes[1] != 1400 || sizes[2] != 700 {
		t.Fatalf("split 3500 bytes by 1400 into %v", sizes)
	}
}

// TestGROLoopback: a segmented write on loopback reaches a UDP_GRO socket
// as one read with its datagram size, and every datagram is in it.
func TestGROLoopback(t *testing.T) {
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	if !enableGRO(rx) {
		testenv.SkipOrFail(t, "the kernel refuses UDP_GRO (Linux 5.0+)")
	}
	tx, err := net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	if !enableGSO(tx, 1000) {
		testenv.SkipOrFail(t, "the kernel refuses UDP_SEGMENT (Linux 4.18+)")
	}
	if _, err := tx.Write(make([]byte, 10_500)); err != nil {
		t.Fatal(err)
	}
	buf, oob := make([]byte, 65536), make([]byte, groOOB)
	_ = rx.SetReadDeadline(time.Now().Add(5 * time.Second))
	total, reads := 0, 0
	for total < 10_500 {
		n, seg, _, err := readBatch(rx, buf, oob)
		if err != nil {
			t.Fatalf("after %d bytes in %d reads: %v", total, reads, err)
		}
		eachDatagram(buf[:n], seg, func(d []byte) {
			if len(d) != 1000 && len(d) != 500 {
				t.Errorf("a datagram of %d bytes", len(d))
			}
		})
		total += n
		reads++
	}
	if reads != 1 {
		t.Errorf("11 segmented datagrams took %d reads, want 1 (coalesced)", reads)
	}
}

func unsafePtr(b []byte) unsafe.Pointer { return unsafe.Pointer(&b[0]) }

// FuzzGROSegment: any control bytes give a datagram size in 1..n.
func FuzzGROSegment(f *testing.F) {
	f.Add(groCmsg(unix.SOL_UDP, unix.UDP_GRO, 1400), 14000)
	f.Add([]byte{}, 1)
	f.Fuzz(func(t *testing.T, oob []byte, n int) {
		if n < 1 || n > 1<<16 {
			return
		}
		b := make([]byte, len(oob)) // aligned, as the reader's is
		copy(b, oob)
		if seg := groSegment(b, n); seg < 1 || seg > n {
			t.Fatalf("groSegment(%x, %d) = %d", oob, n, seg)
		}
	})
}
