package runrecord

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Write writes r as indented JSON, filling in SchemaVersion when empty.
func Write(w io.Writer, r *Run) error {
	if r.SchemaVersion == "" {
		r.SchemaVersion = SchemaVersion
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode run record: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Read reads a run record and checks its schema version.
func Read(rd io.Reader) (*Run, error) {
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, err
	}
	var head struct {
		SchemaVersion string `json:"schema_version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("not a cnibench run record: %w", err)
	}
	if err := checkSchema(head.SchemaVersion); err != nil {
		return nil, err
	}
	var r Run
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decode run record: %w", err)
	}
	return &r, nil
}

func checkSchema(v string) error {
	switch {
	case v == SchemaVersion:
		return nil
	case v == "":
		return errors.New("not a cnibench run record: no schema_version (is this the JSON of `cnibench run`?)")
	case strings.HasPrefix(v, "cnibench.run/"):
		return fmt.Errorf("run record schema %q is not supported: this cnibench reads %q; use the cnibench that wrote it or a newer one", v, SchemaVersion)
	default:
		return fmt.Errorf("not a cnibench run record: schema_version %q (want %q)", v, SchemaVersion)
	}
}

// ReadFile reads the run record at path.
func ReadFile(path string) (*Run, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// WriteFile writes r to path atomically (a temporary file in the same
// directory, then a rename), so an interrupted run never leaves half a file.
func WriteFile(path string, r *Run) error {
	return WriteAtomic(path, func(w io.Writer) error { return Write(w, r) })
}

// WriteAtomic writes path through write atomically: a temporary file in
// the same directory, then a rename. Other records (the mesh's) use it too.
func WriteAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename there is nothing left to remove
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
