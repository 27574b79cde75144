package agent

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sort"
)

// NetInterface is one network interface as netinfo reports it, for
// reading MTUs inside pods whose image has no shell.
type NetInterface struct {
	Name  string   `json:"name"`
	MTU   int      `json:"mtu"`
	Up    bool     `json:"up"`
	Addrs []string `json:"addrs,omitempty"` // CIDR notation
}

// Interfaces are this network namespace's interfaces, by name.
func Interfaces() ([]NetInterface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	out := []NetInterface{}
	for _, i := range ifs {
		ni := NetInterface{Name: i.Name, MTU: i.MTU, Up: i.Flags&net.FlagUp != 0}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			ni.Addrs = append(ni.Addrs, a.String())
		}
		out = append(out, ni)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out, nil
}

// WriteInterfaces writes ifs as netinfo prints them: indented JSON.
func WriteInterfaces(w io.Writer, ifs []NetInterface) error {
	b, err := json.MarshalIndent(ifs, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// ReadInterfaces reads what WriteInterfaces wrote.
func ReadInterfaces(b []byte) ([]NetInterface, error) {
	var ifs []NetInterface
	if err := json.Unmarshal(b, &ifs); err != nil {
		return nil, fmt.Errorf("%s output is not a list of interfaces (is the image a cnibench of this version?): %w", CmdNetinfo, err)
	}
	return ifs, nil
}

// MTUOf is the MTU of the interface holding addr, else eth0's, else 0.
func MTUOf(ifs []NetInterface, addr netip.Addr) int {
	for _, i := range ifs {
		for _, a := range i.Addrs {
			if p, err := netip.ParsePrefix(a); err == nil && p.Addr() == addr {
				return i.MTU
			}
		}
	}
	for _, i := range ifs {
		if i.Name == "eth0" {
			return i.MTU
		}
	}
	return 0
}

// LoopbackMTU is the MTU of the loopback interface (the one named lo, else
// the one holding 127.0.0.1 or ::1), through which the kernel sends
// traffic to any of its own addresses; 0 when there is none.
func LoopbackMTU(ifs []NetInterface) int {
	for _, i := range ifs {
		if i.Name == "lo" {
			return i.MTU
		}
	}
	for _, i := range ifs {
		for _, a := range i.Addrs {
			if p, err := netip.ParsePrefix(a); err == nil && p.Addr().IsLoopback() {
				return i.MTU
			}
		}
	}
	return 0
}
