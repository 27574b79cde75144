package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cnibench/cnibench/internal/metrics"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// Format is an output format.
type Format string

const (
	Table Format = "table"
	// Wide is the table with every column and every warning in full
	// (kubectl's -o wide); Table fits 120 columns.
	Wide     Format = "wide"
	JSON     Format = "json"
	CSV      Format = "csv"
	Markdown Format = "markdown"
	HTML     Format = "html"
	// OpenMetrics is the run as Prometheus metrics (internal/metrics).
	OpenMetrics Format = "openmetrics"
)

// Formats are every format of a run, in the order --help lists them.
var Formats = []Format{Table, Wide, JSON, CSV, Markdown, HTML, OpenMetrics}

// ext is each format's file name extension in an --out-dir.
var ext = map[Format]string{Table: "txt", JSON: "json", CSV: "csv", Markdown: "md", HTML: "html", OpenMetrics: "om"}

// ParseFormat accepts a format's name (or "md").
func ParseFormat(s string) (Format, error) {
	if s == "md" {
		return Markdown, nil
	}
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown output format %q: use one of %s", s, FormatNames(Formats))
}

// FormatNames lists formats for help texts: "table|json|csv".
func FormatNames(fs []Format) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = string(f)
	}
	return strings.Join(names, "|")
}

// Render writes run in format f. A run without summaries (one written
// before it was summarised) is summarised with the default configuration.
func Render(w io.Writer, run *runrecord.Run, f Format) error {
	run = summarized(run)
	switch f {
	case Table, "":
		return writeTable(w, run, false)
	case Wide:
		return writeTable(w, run, true)
	case JSON:
		return runrecord.Write(w, run)
	case CSV:
		return writeCSV(w, run)
	case Markdown:
		return writeMarkdown(w, run)
	case HTML:
		return writeHTML(w, run)
	case OpenMetrics:
		return metrics.WriteOpenMetrics(w, run)
	}
	return fmt.Errorf("unknown output format %q", f)
}

func summarized(run *runrecord.Run) *runrecord.Run {
	if len(run.UDPMax) > 0 { // overheads as this version judges them
		c := *run
		c.UDPMax = slices.Clone(run.UDPMax)
		c.SummarizeUDPMax()
		run = &c
	}
	if (len(run.Summaries) > 0 || len(run.Samples) == 0) && (len(run.LatencySummaries) > 0 || len(run.LatencySamples) == 0) {
		if run.Sweeps == nil && len(run.Summaries) > 0 { // a record from before sweeps were recorded
			c := *run
			c.ComputeSweeps(run.Plan.KneeDrop)
			return &c
		}
		return run
	}
	c := *run
	c.Summarize(stats.Config{})
	return &c
}

// Options say where a report goes.
type Options struct {
	Format Format    // written to Out; "" = Table
	Out    io.Writer // nil = nothing on Out
	OutDir string    // when set, every format is also written there
	Name   string    // base name of the files in OutDir; "" = "run"
}

// Write renders run to o.Out and, with o.OutDir, in every format to files
// there (created when missing). It returns the files written.
func Write(run *runrecord.Run, o Options) ([]string, error) {
	var written []string
	if o.OutDir != "" {
		if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
			return nil, err
		}
		name := o.Name
		if name == "" {
			name = "run"
		}
		for _, f := range Formats {
			if ext[f] == "" {
				continue // wide: run.txt has the table, run.csv every figure
			}
			path := filepath.Join(o.OutDir, name+"."+ext[f])
			if err := writeFile(path, func(w io.Writer) error { return Render(w, run, f) }); err != nil {
				return written, fmt.Errorf("write %s: %w", path, err)
			}
			written = append(written, path)
		}
	}
	if o.Out != nil {
		if err := Render(o.Out, run, o.Format); err != nil {
			return written, err
		}
	}
	return written, nil
}

// File reads the run record at path and writes it as o says.
func File(path string, o Options) ([]string, error) {
	run, err := runrecord.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Write(run, o)
}

func writeFile(path string, render func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	return errors.Join(render(f), f.Close())
}
