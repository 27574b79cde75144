package engine

import (
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// tcpControl returns a net.Dialer/ListenConfig Control that applies the
// spec's socket options before connect or listen, as iperf3 does, so window
// scale and MSS are negotiated in the SYN.
func tcpControl(s Spec) func(network, address string, c syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = applyTCPOptions(int(fd), s)
		})
		if err != nil {
			return err
		}
		return serr
	}
}

// applyTCPOptions sets -w, -M and -N on a TCP socket.
func applyTCPOptions(fd int, s Spec) error {
	if s.NoDelay {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
			return fmt.Errorf("set TCP_NODELAY: %w", err)
		}
	}
	if s.MSS > 0 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_MAXSEG, s.MSS); err != nil {
			return fmt.Errorf("set TCP_MAXSEG %d: %w", s.MSS, err)
		}
	}
	return applyWindow(fd, s.Window)
}

// applyWindow sets SO_SNDBUF and SO_RCVBUF (which turns autotuning off for
// the socket, as with iperf3 -w) and checks the kernel granted them.
func applyWindow(fd int, window int) error {
	if window <= 0 {
		return nil
	}
	for _, opt := range []int{unix.SO_SNDBUF, unix.SO_RCVBUF} {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt, window); err != nil {
			return fmt.Errorf("set socket buffer %d: %w", window, err)
		}
		// Linux doubles the value for bookkeeping; less than asked means capped by rmem_max/wmem_max.
		got, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, opt)
		if err == nil && got < window {
			return fmt.Errorf("socket buffer size not set correctly: asked %d, kernel gave %d (raise net.core.rmem_max/wmem_max or use a smaller -w)", window, got)
		}
	}
	return nil
}

// withFD runs fn on the raw descriptor of a connection.
func withFD(c syscall.Conn, fn func(fd int) error) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// setCongestion sets TCP_CONGESTION and reads back what the kernel uses.
func setCongestion(c *net.TCPConn, name string) (string, error) {
	var used string
	err := withFD(c, func(fd int) error {
		if name != "" {
			if err := unix.SetsockoptString(fd, unix.IPPROTO_TCP, unix.TCP_CONGESTION, name); err != nil {
				return fmt.Errorf("set congestion control %q: %w (see /proc/sys/net/ipv4/tcp_available_congestion_control)", name, err)
			}
		}
		v, err := unix.GetsockoptString(fd, unix.IPPROTO_TCP, unix.TCP_CONGESTION)
		if err == nil {
			used = v
		}
		return nil
	})
	return used, err
}

// tcpMSS reads TCP_MAXSEG of a connected socket (iperf3's tcp_mss_default).
func tcpMSS(c *net.TCPConn) int {
	mss := 0
	_ = withFD(c, func(fd int) error {
		v, err := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_MAXSEG)
		if err == nil {
			mss = v
		}
		return nil
	})
	return mss
}

// tcpInfo is the part of Linux's struct tcp_info that iperf3 reports.
type tcpInfo struct {
	totalRetrans uint32
	sndCwnd      int64 // bytes: segments × MSS
	sndWnd       int64
	rtt, rttVar  int64 // µs
	pmtu         int64
}

func readTCPInfo(c *net.TCPConn) (tcpInfo, bool) {
	var out tcpInfo
	ok := false
	_ = withFD(c, func(fd int) error {
		ti, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
		if err != nil {
			return nil
		}
		out = tcpInfo{
			totalRetrans: ti.Total_retrans,
			sndCwnd:      int64(ti.Snd_cwnd) * int64(ti.Snd_mss),
			sndWnd:       int64(ti.Snd_wnd),
			rtt:          int64(ti.Rtt),
			rttVar:       int64(ti.Rttvar),
			pmtu:         int64(ti.Pmtu),
		}
		ok = true
		return nil
	})
	return out, ok
}

// udpBufferSize is what UDP sockets ask for (capped by net.core.rmem_max
// and wmem_max): a receiver that is briefly descheduled must not drop
// datagrams that the network delivered, or we would report our own loss
// as the network's. iperf3 keeps the 208 KiB default unless -w is given.
const udpBufferSize = 4 << 20

// growUDPBuffers raises a UDP socket's buffers, best effort; -w overrides.
func growUDPBuffers(c syscall.Conn, window int) {
	size := udpBufferSize
	if window > 0 {
		size = window
	}
	_ = withFD(c, func(fd int) error {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, size)
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, size)
		return nil
	})
}
