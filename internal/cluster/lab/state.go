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

// DefaultStateDir is where cnibench records kept labs.
const DefaultStateDir = "/run/cnibench/labs"

// Store is where kept labs (`cnibench lab up`) are recorded: one JSON
// file per lab in Dir. Finding and removing labs also looks at the named
// namespaces, which are the same for every store.
type Store struct {
	Dir string
}

// State is what `lab up` records about a kept lab.
type State struct {
	Config  Config    `json:"config"`
	Created time.Time `json:"created"`
	PID     int       `json:"pid"`
}

func (s Store) path(id string) string { return filepath.Join(s.Dir, id+".json") }

// Up builds a lab with named namespaces (so `ip netns exec` can enter
// them), records it in the store and leaves it running after the process
// ends. `Down` removes it.
func (s Store) Up(ctx context.Context, cfg Config) (State, error) {
	cfg.Named = true
	cfg = cfg.WithDefaults()
	if _, err := os.Stat(s.path(cfg.ID)); err == nil {
		return State{}, fmt.Errorf("lab %s already exists: choose another ID or run 'cnibench lab down %s'", cfg.ID, cfg.ID)
	}
	l, err := Build(ctx, cfg)
	if err != nil {
		return State{}, err
	}
	st := State{Config: l.cfg, Created: time.Now().UTC(), PID: os.Getpid()}
	if err := s.write(st); err != nil {
		return State{}, errors.Join(err, l.Close(ctx))
	}
	l.detach()
	return st, nil
}

func (s Store) write(st State) error {
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return fmt.Errorf("record lab: %w", err)
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := s.path(st.Config.ID) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("record lab: %w", err)
	}
	return os.Rename(tmp, s.path(st.Config.ID))
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

// Down removes lab id: its namespaces (everything in them goes with them)
// and its record. An ID with neither is an UnknownLabError naming the
// labs there are.
func (s Store) Down(id string) error {
	if !idRE.MatchString(id) {
		return fmt.Errorf("lab ID %q: use 1 to 8 lowercase letters or digits", id)
	}
	names, err := netns.ListNamed(nsPrefix(id))
	if err != nil {
		return err
	}
	if _, err := os.Stat(s.path(id)); len(names) == 0 && errors.Is(err, os.ErrNotExist) {
		return s.unknown(id)
	}
	var errs []error
	for _, n := range names {
		errs = append(errs, netns.DeleteNamed(n))
	}
	if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Kept lists kept labs: every recorded lab, plus any lab ID found only in
// leftover namespaces (a crashed `lab up`: Config has only the ID, Created
// is when its oldest namespace was made), sorted by ID.
func (s Store) Kept() ([]State, error) {
	byID := map[string]State{}
	ents, err := os.ReadDir(s.Dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.Dir, e.Name()))
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
			if st, known := byID[id]; !known || st.Config.Nodes == 0 && nsCreated(n).Before(st.Created) {
				byID[id] = State{Config: Config{ID: id}, Created: nsCreated(n)}
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
