package agent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/cnibench/cnibench/internal/nodecpu"
)

// CmdCPUStat prints the node's CPU times as one JSON line (WriteCPUStat).
// In a pod, /proc/stat is the node's (it is not namespaced), so the
// backend execs it in each node's hostNetwork pod.
const CmdCPUStat = "cpustat"

// CPUStatArgs is the command line that prints the node's CPU times.
func CPUStatArgs(binary string) []string { return []string{binary, CmdCPUStat} }

// cpuStat is the wire form of nodecpu.Times: the agent's own JSON names,
// so the protocol does not change when nodecpu's struct does.
type cpuStat struct {
	User    uint64 `json:"user"`
	Nice    uint64 `json:"nice"`
	System  uint64 `json:"system"`
	Idle    uint64 `json:"idle"`
	IOWait  uint64 `json:"iowait"`
	IRQ     uint64 `json:"irq"`
	SoftIRQ uint64 `json:"softirq"`
	Steal   uint64 `json:"steal"`
	CPUs    int    `json:"cpus"`
}

// WriteCPUStat writes t as cpustat prints it: one JSON line.
func WriteCPUStat(w io.Writer, t nodecpu.Times) error {
	b, err := json.Marshal(cpuStat(t))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// ReadCPUStat reads what WriteCPUStat wrote. The bytes come from a pod,
// which may run anything: anything but one object with at least one CPU
// is an error that says what came instead.
func ReadCPUStat(b []byte) (nodecpu.Times, error) {
	var s cpuStat
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nodecpu.Times{}, fmt.Errorf("%s output is not CPU times (is the image a cnibench of this version?): %w: %q", CmdCPUStat, err, Truncate(string(b), 200))
	}
	if dec.More() {
		return nodecpu.Times{}, fmt.Errorf("%s printed more than one line: %q", CmdCPUStat, Truncate(string(b), 200))
	}
	if s.CPUs < 1 {
		return nodecpu.Times{}, fmt.Errorf("%s output counts %d CPUs: %q", CmdCPUStat, s.CPUs, Truncate(string(b), 200))
	}
	return nodecpu.Times(s), nil
}
