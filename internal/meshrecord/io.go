package meshrecord

import (
	"encoding/json"
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
	var m Mesh
	if err := runrecord.ReadRecord(rd, SchemaVersion, "mesh", &m); err != nil {
		return nil, err
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
