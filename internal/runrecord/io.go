package runrecord

import (
	"bytes"
	"encoding/json"
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
	var r Run
	if err := ReadRecord(rd, SchemaVersion, "run", &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ReadRecord reads a cnibench record of kind ("run", "mesh") whose
// schema must be want ("cnibench.<kind>/vN") into v, saying what the
// file is when it is not that.
func ReadRecord(rd io.Reader, want, kind string, v any) error {
	b, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	var head struct {
		SchemaVersion string `json:"schema_version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return fmt.Errorf("not a cnibench %s record: %w", kind, err)
	}
	if err := checkSchema(head.SchemaVersion, want, kind); err != nil {
		return err
	}
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(v); err != nil {
		return fmt.Errorf("decode %s record: %w", kind, err)
	}
	return nil
}

func checkSchema(v, want, kind string) error {
	switch {
	case v == want:
		return nil
	case v == "":
		return fmt.Errorf("not a cnibench %s record: no schema_version (is this the JSON of `cnibench %s`?)", kind, kind)
	case strings.HasPrefix(v, "cnibench."+kind+"/"):
		return fmt.Errorf("%s record schema %q is not supported: this cnibench reads %q; use the cnibench that wrote it or a newer one", kind, v, want)
	default:
		return fmt.Errorf("not a cnibench %s record: schema_version %q (want %q)", kind, v, want)
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
