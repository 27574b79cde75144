package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// Phase of a cluster's life, as recorded in its state file.
const (
	PhaseStarting = "starting" // Up is running, or died half-way
	PhaseUp       = "up"       // Up finished: every node Ready
)

// State is everything Up created, written to RUNDIR/state.json before each
// thing is created, so that Down finds it all even after a crash.
type State struct {
	Config  Config    `json:"config"`
	Phase   string    `json:"phase"`
	Created time.Time `json:"created"`
	UpAt    time.Time `json:"up_at,omitempty"`
	// Timings of Up's steps, for docs/e2e.md and the impatient.
	Timings map[string]string `json:"timings,omitempty"`

	BinDir     string `json:"bin_dir,omitempty"`
	Kubeconfig string `json:"kubeconfig"`
	Procs      []Proc `json:"procs,omitempty"`
	// Sysctls holds the host-wide values before any kubelet ran.
	Sysctls map[string]string `json:"sysctls,omitempty"`
	// HostPaths says which of hostPaths existed before Up.
	HostPaths  map[string]bool `json:"host_paths,omitempty"`
	Namespaces []string        `json:"namespaces,omitempty"`
	Cgroups    bool            `json:"cgroups,omitempty"`
	Guard      bool            `json:"guard,omitempty"`
	HostRoutes []string        `json:"host_routes,omitempty"`
	// PodCIDRs maps node name to its pod CIDR once known.
	PodCIDRs map[string]string `json:"pod_cidrs,omitempty"`
}

func (s *State) save() error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	p := paths(s.Config.RunDir).state()
	if err := os.WriteFile(p+".tmp", append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("record cluster state: %w", err)
	}
	return os.Rename(p+".tmp", p)
}

// ReadState reads the state of the cluster in run directory dir;
// os.ErrNotExist when there is none.
func ReadState(dir string) (*State, error) {
	b, err := os.ReadFile(paths(dir).state())
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("read %s: %w", paths(dir).state(), err)
	}
	return &s, nil
}

// Running reports whether the recorded cluster is up and all its daemons alive.
func (s *State) Running() error {
	if s.Phase != PhaseUp {
		return fmt.Errorf("cluster in %s is %s, not up", s.Config.RunDir, s.Phase)
	}
	var errs []error
	for _, p := range s.Procs {
		if !p.Alive() {
			errs = append(errs, fmt.Errorf("%s (pid %d) is not running; see %s", p.Name, p.PID, p.Log))
		}
	}
	return errors.Join(errs...)
}
