// Package meshreport renders a mesh record (internal/meshrecord): the
// pair matrix, the node scores and outliers, the pod network's cost per
// pair, and the round plan, as a table, JSON, CSV, Markdown or HTML with
// an N×N heatmap; and the comparison of two meshes.
package meshreport

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cnibench/cnibench/internal/mesh"
	"github.com/cnibench/cnibench/internal/meshrecord"
	"github.com/cnibench/cnibench/internal/report"
)

// Formats are the formats of a mesh, in the order --help lists them.
var Formats = []report.Format{report.Table, report.JSON, report.CSV, report.Markdown, report.HTML}

var ext = map[report.Format]string{report.Table: "txt", report.JSON: "json", report.CSV: "csv", report.Markdown: "md", report.HTML: "html"}

// ParseFormat accepts a mesh format's name (or "md").
func ParseFormat(s string) (report.Format, error) {
	f, err := report.ParseFormat(s)
	if err == nil && ext[f] == "" {
		err = fmt.Errorf("output format %q is for runs: a mesh is written as one of %s", s, report.FormatNames(Formats))
	}
	if err != nil {
		return "", fmt.Errorf("unknown output format %q for a mesh: use one of %s", s, report.FormatNames(Formats))
	}
	return f, nil
}

// analyzed is m with its analysis filled in.
func analyzed(m *meshrecord.Mesh) *meshrecord.Mesh {
	c := *m
	c.Analysis = m.Analyze(mesh.Judging{})
	return &c
}

// Render writes m in format f.
func Render(w io.Writer, m *meshrecord.Mesh, f report.Format) error {
	m = analyzed(m)
	switch f {
	case report.Table, "":
		return writeTable(w, m)
	case report.JSON:
		return meshrecord.Write(w, m)
	case report.CSV:
		return writeCSV(w, m)
	case report.Markdown:
		return writeMarkdown(w, m)
	case report.HTML:
		return writeHTML(w, m)
	}
	return fmt.Errorf("unknown output format %q for a mesh: use one of %s", f, report.FormatNames(Formats))
}

// Write renders m to out (nil = nowhere) in format f and, with outDir,
// in every format to mesh.<ext> files there. It returns the files written.
func Write(m *meshrecord.Mesh, f report.Format, out io.Writer, outDir string) ([]string, error) {
	var written []string
	if outDir != "" {
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return nil, err
		}
		for _, ff := range Formats {
			path := filepath.Join(outDir, "mesh."+ext[ff])
			if err := writeFile(path, func(w io.Writer) error { return Render(w, m, ff) }); err != nil {
				return written, fmt.Errorf("write %s: %w", path, err)
			}
			written = append(written, path)
		}
	}
	if out != nil {
		if err := Render(out, m, f); err != nil {
			return written, err
		}
	}
	return written, nil
}

func writeFile(path string, render func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	return errors.Join(render(f), f.Close())
}
