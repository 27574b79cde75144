package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/netns"
)

// StateDir holds one JSON file per kept lab (`cnibench lab up`).
var StateDir = "/run/cnibench/labs"

// State is what `lab up` records about a kept lab.
type State struct {
	Config  Config    `json:"config"`
	Created time.Time `json:"created"`
	PID     int       `json:"pid"`
}

func statePath(id string) string { return filepath.Join(StateDir, id+".json") }

// Up builds a lab with named namespaces (so `ip netns exec` can enter
// them), records it in StateDir and leaves it running after the process
// ends. `Down` removes it.
func Up(ctx context.Context, cfg Config) (State, error) {
	cfg.Named = true
	cfg = cfg.WithDefaults()
	if _, err := os.Stat(statePath(cfg.ID)); err == nil {
		return State{}, fmt.Errorf("lab %s already exists: choose another ID or run 'cnibench lab down %s'", cfg.ID, cfg.ID)
	}
	l, err := Build(ctx, cfg)
	if err != nil {
		return State{}, err
	}
	st := State{Config: l.cfg, Created: time.Now().UTC(), PID: os.Getpid()}
	if err := writeState(st); err != nil {
		return State{}, errors.Join(err, l.Close(ctx))
	}
	l.detach()
	return st, nil
}

func writeState(st State) error {
	if err := os.MkdirAll(StateDir, 0o755); err != nil {
		return fmt.Errorf("record lab: %w", err)
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := statePath(st.Config.ID) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("record lab: %w", err)
	}
	return os.Rename(tmp, statePath(st.Config.ID))
}

// detach releases the lab's handles but keeps its named namespaces.
func (l *Lab) detach() {
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.sw.Close()
	for _, n := range l.nodes {
		_ = n.ns.Close()
		for _, p := range n.pods {
			_ = p.ns.Close()
		}
	}
	l.undo = nil
	l.closed = true
}

// Down removes kept lab id: its namespaces (everything in them goes with
// them) and its record. Removing a lab that is already gone is success.
func Down(id string) error {
	if !idRE.MatchString(id) {
		return fmt.Errorf("lab ID %q: use 1 to 8 lowercase letters or digits", id)
	}
	names, err := netns.ListNamed(nsPrefix(id))
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		errs = append(errs, netns.DeleteNamed(n))
	}
	if err := os.Remove(statePath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Kept lists kept labs: every recorded lab, plus any lab ID found only in
// leftover namespaces (a crashed `lab up`), sorted by ID.
func Kept() ([]State, error) {
	byID := map[string]State{}
	ents, err := os.ReadDir(StateDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(StateDir, e.Name()))
		if err != nil {
			continue
		}
		var st State
		if json.Unmarshal(b, &st) == nil && idRE.MatchString(st.Config.ID) {
			byID[st.Config.ID] = st
		}
	}
	names, err := netns.ListNamed("cnibench-")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		id, _, ok := strings.Cut(strings.TrimPrefix(n, "cnibench-"), "-")
		if ok && idRE.MatchString(id) {
			if _, known := byID[id]; !known {
				byID[id] = State{Config: Config{ID: id}}
			}
		}
	}
	var out []State
	for _, st := range byID {
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Config.ID < out[j].Config.ID })
	return out, nil
}

// Namespaces lists the named namespaces of lab id that exist now.
func Namespaces(id string) ([]string, error) { return netns.ListNamed(nsPrefix(id)) }

// Cleanup removes every lab of ours it can find (recorded or leftover) and
// returns their IDs; with dryRun it only lists them. Labs built with
// anonymous namespaces need no cleanup: the kernel removed them when their
// process ended.
func Cleanup(dryRun bool) ([]string, error) {
	labs, err := Kept()
	if err != nil {
		return nil, err
	}
	var ids []string
	var errs []error
	for _, st := range labs {
		ids = append(ids, st.Config.ID)
		if !dryRun {
			errs = append(errs, Down(st.Config.ID))
		}
	}
	return ids, errors.Join(errs...)
}
