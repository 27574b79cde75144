// Package nodecpu reads a node's CPU time from /proc/stat, so a test's CPU
// cost can be charged to the node (kernel softirq work of the datapath
// included), not only to the measuring process: on a path limited by CPU
// rather than by the link, that cost is the pod network's real price.
package nodecpu

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// TicksPerSecond is USER_HZ, the unit of /proc/stat: 100 on every Linux
// architecture cnibench builds for (the kernel fixes it for user space).
const TicksPerSecond = 100

// Times are a node's CPU times since boot, summed over its CPUs, in
// /proc/stat's order. Guest time is already inside User and Nice.
type Times struct {
	User, Nice, System, Idle, IOWait, IRQ, SoftIRQ, Steal uint64 // ticks
	CPUs                                                  int    // cpuN lines
}

// Read reads /proc/stat.
func Read() (Times, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return Times{}, fmt.Errorf("node CPU: %w", err)
	}
	return Parse(b)
}

// Parse reads the aggregate "cpu" line and counts the "cpuN" lines of a
// /proc/stat text. Fields the kernel does not give (old kernels stop after
// iowait) are 0.
func Parse(b []byte) (Times, error) {
	var t Times
	found := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte("cpu")) {
			continue
		}
		f := bytes.Fields(line)
		if string(f[0]) != "cpu" {
			if _, err := strconv.Atoi(string(f[0][3:])); err == nil {
				t.CPUs++
			}
			continue
		}
		if found {
			return Times{}, errors.New("node CPU: /proc/stat has two aggregate cpu lines")
		}
		found = true
		if len(f) < 5 {
			return Times{}, fmt.Errorf("node CPU: cpu line has %d fields, want at least 4 numbers", len(f)-1)
		}
		dst := []*uint64{&t.User, &t.Nice, &t.System, &t.Idle, &t.IOWait, &t.IRQ, &t.SoftIRQ, &t.Steal}
		for i, p := range dst {
			if i+1 >= len(f) {
				break
			}
			v, err := strconv.ParseUint(string(f[i+1]), 10, 64)
			if err != nil {
				return Times{}, fmt.Errorf("node CPU: cpu field %d %q: not a tick count", i+1, f[i+1])
			}
			*p = v
		}
	}
	if !found {
		return Times{}, errors.New("node CPU: no aggregate cpu line in /proc/stat")
	}
	if t.CPUs == 0 {
		return Times{}, errors.New("node CPU: no cpuN lines in /proc/stat")
	}
	return t, nil
}

// Usage is a node's CPU use between two readings.
type Usage struct {
	Wall time.Duration `json:"wall_ns"` // between the readings, by the caller's clock
	CPUs int           `json:"cpus"`
	// CPU-seconds spent, by kind (all CPUs together).
	User    float64 `json:"user_s"` // user and nice
	System  float64 `json:"system_s"`
	SoftIRQ float64 `json:"softirq_s"` // where most of a datapath's packet work runs
	IRQ     float64 `json:"irq_s"`
	Steal   float64 `json:"steal_s"`
	Idle    float64 `json:"idle_s"` // idle and iowait
}

// Busy is the CPU-seconds spent on anything but idling.
func (u Usage) Busy() float64 { return u.User + u.System + u.SoftIRQ + u.IRQ + u.Steal }

// BusyFraction is the share of the node's CPU capacity that was busy,
// 0..1, measured by the ticks themselves (not by Wall).
func (u Usage) BusyFraction() float64 {
	if all := u.Busy() + u.Idle; all > 0 {
		return u.Busy() / all
	}
	return 0
}

// PerGbit is the busy CPU-seconds per gigabit moved: bits is what the test
// carried over the readings' interval. It is false when nothing moved.
func (u Usage) PerGbit(bits float64) (float64, bool) {
	if bits <= 0 {
		return 0, false
	}
	return u.Busy() / (bits / 1e9), true
}

// Since is the usage from before to t, over wall time. Busy counters never
// go back; if one did (a different node, a reboot) Since says so. Idle and
// iowait may: the kernel's iowait is known to step back, so their drop
// counts as no idle time rather than an error.
func (t Times) Since(before Times, wall time.Duration) (Usage, error) {
	if t.CPUs != before.CPUs || t.User+t.Nice < before.User+before.Nice || t.System < before.System ||
		t.SoftIRQ < before.SoftIRQ || t.IRQ < before.IRQ || t.Steal < before.Steal {
		return Usage{}, errors.New("node CPU: counters went back or CPUs changed between readings (not the same node, or it rebooted)")
	}
	s := func(a, b uint64) float64 {
		if a < b {
			return 0
		}
		return float64(a-b) / TicksPerSecond
	}
	return Usage{
		Wall: wall, CPUs: t.CPUs,
		User:    s(t.User+t.Nice, before.User+before.Nice),
		System:  s(t.System, before.System),
		SoftIRQ: s(t.SoftIRQ, before.SoftIRQ),
		IRQ:     s(t.IRQ, before.IRQ),
		Steal:   s(t.Steal, before.Steal),
		Idle:    s(t.Idle+t.IOWait, before.Idle+before.IOWait),
	}, nil
}
