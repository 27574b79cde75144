// Package report renders run records and comparisons of two runs: a
// terminal table, JSON, CSV, Markdown for a GitHub issue, and one
// self-contained HTML file with inline SVG charts. Every renderer reads only
// the runrecord.Run (or Comparison), so a saved run renders the same later.
package report
