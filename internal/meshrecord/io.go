package meshrecord

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cnibench/cnibench/internal/runrecord"
)

// Write writes m as indented JSON.
func Write(w io.Writer, m *Mesh) error {
	if m.SchemaVersion == "" {
		m.SchemaVersion = SchemaVersion
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode mesh record: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Read reads a mesh record and checks its schema version.
func Read(rd io.Reader) (*Mesh, error) {
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, err
	}
	var head struct {
		SchemaVersion string `json:"schema_version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("not a cnibench mesh record: %w", err)
	}
	if err := checkSchema(head.SchemaVersion); err != nil {
		return nil, err
	}
	var m Mesh
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&m); err != nil {
		return nil, fmt.Errorf("decode mesh record: %w", err)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("mesh record: %w", err)
	}
	return &m, nil
}

// IsMesh reports whether the JSON in b is a mesh record (by its schema),
// so a command reading records can tell a mesh from a run.
func IsMesh(b []byte) bool {
	var head struct {
		SchemaVersion string `json:"schema_version"`
	}
	return json.Unmarshal(b, &head) == nil && strings.HasPrefix(head.SchemaVersion, "cnibench.mesh/")
}

func checkSchema(v string) error {
	switch {
	case v == SchemaVersion:
		return nil
	case v == "":
		return errors.New("not a cnibench mesh record: no schema_version (is this the JSON of `cnibench mesh`?)")
	case strings.HasPrefix(v, "cnibench.mesh/"):
		return fmt.Errorf("mesh record schema %q is not supported: this cnibench reads %q; use the cnibench that wrote it or a newer one", v, SchemaVersion)
	default:
		return fmt.Errorf("not a cnibench mesh record: schema_version %q (want %q)", v, SchemaVersion)
	}
}

// check refuses a record whose tests name nodes it does not have.
func (m *Mesh) check() error {
	for i, t := range m.Tests {
		if t.From < 0 || t.From >= len(m.Nodes) || t.To < 0 || t.To >= len(m.Nodes) || t.From == t.To {
			return fmt.Errorf("test %d: nodes %d→%d are not a pair of the record's %d nodes", i, t.From, t.To, len(m.Nodes))
		}
	}
	for r, round := range m.Plan.Rounds {
		for _, p := range round {
			if p[0] < 0 || p[0] >= len(m.Nodes) || p[1] < 0 || p[1] >= len(m.Nodes) {
				return fmt.Errorf("round %d: pair %v is not a pair of the record's %d nodes", r+1, p, len(m.Nodes))
			}
		}
	}
	return nil
}

// ReadFile reads the mesh record at path.
func ReadFile(path string) (*Mesh, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// WriteFile writes m to path atomically, so a killed mesh never leaves
// half a file.
func WriteFile(path string, m *Mesh) error {
	return runrecord.WriteAtomic(path, func(w io.Writer) error { return Write(w, m) })
}
