package kube

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/cnibench/cnibench/internal/engine"
)

// ClientLine is one line of `cnibench client --result-json` (hidden, for
// this backend): an interval as it ends, then the result or the error.
// The backend runs the client by exec and reads these lines back, so the
// whole engine.Result crosses the exec, not iperf3's smaller -J schema.
type ClientLine struct {
	Interval *engine.Interval `json:"interval,omitempty"`
	Result   *engine.Result   `json:"result,omitempty"`
	Error    string           `json:"error,omitempty"`
}

// NetInterface is one network interface as `cnibench netinfo` (hidden)
// prints it, for reading MTUs inside pods whose image has no shell.
type NetInterface struct {
	Name  string   `json:"name"`
	MTU   int      `json:"mtu"`
	Up    bool     `json:"up"`
	Addrs []string `json:"addrs,omitempty"` // CIDR notation
}

// errNoResult is a client that ended without a result line.
var errNoResult = errors.New("the client printed no result")

// readClientLines reads a client's lines, calling onInterval for each
// interval, and returns its result.
func readClientLines(r io.Reader, onInterval func(engine.Interval)) (*engine.Result, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	var res *engine.Result
	var errMsg string
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var l ClientLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			return nil, fmt.Errorf("client output is not --result-json (is the image a cnibench of this version?): %q", truncate(line, 200))
		}
		switch {
		case l.Interval != nil:
			if onInterval != nil {
				onInterval(*l.Interval)
			}
		case l.Result != nil:
			res = l.Result
		case l.Error != "":
			errMsg = l.Error
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if errMsg != "" {
		return nil, errors.New(errMsg)
	}
	if res == nil {
		return nil, errNoResult
	}
	return res, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// mtuOf picks the MTU of the interface holding addr, else eth0's, else 0.
func mtuOf(ifs []NetInterface, addr netip.Addr) int {
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
