package report

import (
	"fmt"
	"strings"
)

// joinAny joins a slice's elements with ", ".
func joinAny[T any](v []T) string {
	s := make([]string, len(v))
	for i, e := range v {
		s[i] = fmt.Sprint(e)
	}
	return strings.Join(s, ", ")
}

// pageHTML is the page; its stylesheet colours the charts' classes.
const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
:root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #ffffff; --warn: #9a6700; --fail: #cf222e; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); margin: 0 auto; max-width: 1240px; padding: 24px 20px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.facts { color: var(--muted); margin: 0; }
ul.facts { margin-top: 4px; padding-left: 20px; }
.incomplete { background: #fff8c5; border: 1px solid #d4a72c; padding: 8px 12px; border-radius: 6px; font-weight: 600; }
table { border-collapse: collapse; margin: 6px 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--line); padding: 3px 6px; text-align: right; white-space: nowrap; }
td.notes { white-space: normal; text-align: left; }
.scroll { overflow-x: auto; }
table.summary { font-size: 13px; width: 100%; }
table.summary th { white-space: normal; vertical-align: bottom; }
table.summary td { vertical-align: top; }
table.summary .ci { display: block; color: var(--muted); font-size: 11px; }
table.details td.v { text-align: left; white-space: normal; overflow-wrap: anywhere; }
th { background: #f6f8fa; }
td.l, th.l { text-align: left; }
tr.base td { font-weight: 600; }
tr.failed td { color: var(--fail); }
td.ns { color: var(--muted); }
ul.notes { color: var(--warn); margin: 4px 0 0; padding-left: 20px; }
.legend-text { color: var(--muted); font-size: 12px; }
figure { margin: 10px 0 18px; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 2px; }
svg { max-width: 100%; height: auto; display: block; }
svg text { font-family: inherit; fill: var(--fg); }
svg .tick, svg .axis, svg .vlabel { font-size: 11px; fill: var(--muted); }
svg .label { font-size: 12px; font-weight: 600; }
svg .legend, svg .value { font-size: 11px; }
svg .stitle { font-size: 11px; font-weight: 600; }
svg .fail { font-size: 11px; fill: var(--fail); }
svg .grid { stroke: #eaeef2; stroke-width: 1; }
svg .zero { stroke: #8c959f; stroke-width: 1; }
svg .sep { stroke: var(--line); stroke-width: 1; stroke-dasharray: 2 3; }
svg .whisker { stroke: var(--fg); stroke-width: 1.3; }
svg .bar.base { stroke: var(--fg); stroke-width: 1; }
svg .bar.ns { fill-opacity: 0.35; }
svg .nskey { fill: #8c959f; }
svg .floor { fill: #000; stroke: #000; stroke-width: 3; }
svg .cut { stroke: #fff; stroke-width: 2.5; }
svg text.inbar { fill: #fff; font-weight: 600; }
svg .omit { fill: #f0f0f0; }
svg .dot { fill-opacity: 0.8; stroke: #fff; stroke-width: 0.8; }
svg polyline.series { fill: none; stroke-width: 1.6; stroke-opacity: 0.8; }
svg polygon.band { fill-opacity: 0.15; stroke: none; }
svg .v0 { fill: #4e79a7; } svg .series.v0 { stroke: #4e79a7; }
svg .v1 { fill: #f28e2b; } svg .series.v1 { stroke: #f28e2b; }
svg .v2 { fill: #59a14f; } svg .series.v2 { stroke: #59a14f; }
svg .v3 { fill: #e15759; } svg .series.v3 { stroke: #e15759; }
svg .v4 { fill: #76b7b2; } svg .series.v4 { stroke: #76b7b2; }
svg .v5 { fill: #edc948; } svg .series.v5 { stroke: #edc948; }
svg .v6 { fill: #b07aa1; } svg .series.v6 { stroke: #b07aa1; }
svg .v7 { fill: #9c755f; } svg .series.v7 { stroke: #9c755f; }
.series-grid { display: flex; flex-wrap: wrap; gap: 8px; }
.series-grid svg { border: 1px solid #eaeef2; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 6px 0; }
dt { color: var(--muted); }
dd { margin: 0; }
pre, code { font: 12px/1.4 ui-monospace, "Liberation Mono", "DejaVu Sans Mono", monospace; }
pre { background: #f6f8fa; padding: 8px; border-radius: 6px; overflow: auto; }
</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<p class="facts">{{range $i, $f := .Facts}}{{if $i}} · {{end}}{{$f}}{{end}}</p>
{{with .Run.Cluster.Facts}}<ul class="facts">{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if not .Complete}}<p class="incomplete">This run was interrupted: the results are partial.</p>{{end}}
</header>
{{with .Run.Cluster.Warnings}}
<section id="cluster-warnings">
<h2>Cluster warnings</h2>
<ul class="notes">{{range .}}<li>{{.}}</li>{{end}}</ul>
</section>
{{end}}
<section id="summary">
<h2>Summary</h2>
{{range .Sections}}
{{if .Variant}}<h3>{{.Variant}}</h3>{{end}}
<div class="scroll"><table class="summary">
<thead><tr><th class="l">scenario</th><th class="l">test</th><th>n</th><th class="l">path</th><th>median goodput<span class="ci">95% CI</span></th><th>overhead<span class="ci">95% CI</span></th><th>p</th><th>floor</th><th>RTT</th><th>RTT +</th><th>retr</th><th>loss</th><th>jitter</th><th>CPU s/r</th>{{if .NodeCPU}}<th>node CPU/Gbit<span class="ci">vs baseline</span></th>{{end}}<th class="l">notes</th></tr></thead>
<tbody>
{{range .Rows}}<tr{{if .Baseline}} class="base"{{else if .Failed}} class="failed"{{end}}><td class="l">{{.Scenario}}</td><td class="l">{{.Test}}</td><td>{{.N}}</td><td class="l">{{.Path}}</td><td>{{.Median}}{{if ne .MedianCI "-"}}<span class="ci">{{.MedianCI}}</span>{{end}}</td><td{{if .NotSignificant}} class="ns"{{end}}>{{.Overhead}}{{if ne .OverheadCI "-"}}<span class="ci">{{.OverheadCI}}</span>{{end}}</td><td>{{.P}}</td><td>{{.Floor}}</td><td>{{.RTT}}</td><td>{{.RTTDelta}}</td><td>{{.Retr}}</td><td>{{.Loss}}</td><td>{{.Jitter}}</td><td>{{.CPU}}</td>{{if .ShowNodeCPU}}<td>{{.NodeCPU}}{{if ne .CPUTax "-"}}<span class="ci">{{.CPUTax}}</span>{{end}}</td>{{end}}<td class="notes">{{range $i, $n := .Notes}}{{if $i}}, {{end}}{{$n}}{{end}}</td></tr>
{{end}}</tbody>
</table></div>
{{if .Notes}}<ul class="notes">{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{end}}
<p class="legend-text">{{.Legend}}</p>
</section>{{with .Sweeps}}
{{.}}{{end}}{{with .Latency}}
{{.}}{{end}}{{with .Faults}}
{{.}}{{end}}{{with .UDPMax}}
{{.}}{{end}}

{{range .Charts}}
<section id="goodput-{{.Protocol}}">
<h2>{{.Protocol}} goodput</h2>
<figure>{{.Goodput}}<figcaption>Median goodput of each scenario (what the receiver got), with the bootstrap 95% confidence interval of the median. Outlined bars are the node-node baseline.</figcaption></figure>
<h3>Overhead against the baseline (node-node; node-node-same for same-node paths)</h3>
<figure>{{.Overhead}}<figcaption>1 − median / baseline median. The black mark is the physical floor: the share of goodput the path must cost whatever the implementation, for its encapsulation's header tax or, unencapsulated, for a pod MTU below the underlay's. Pale bars are not significantly different from the baseline.</figcaption></figure>
<h3>Every sample</h3>
<figure>{{.Strips}}<figcaption>Each dot is one test; its distance from 0 is how far it fell from its group's median. Wide rows are noisy.</figcaption></figure>
{{if .RTT}}<h3>Latency: idle connect RTT</h3>
<figure>{{.RTT}}<figcaption>Median round-trip time of a TCP handshake to the server, timed before each test with the path idle (the kernel's SYN→SYN-ACK sample), with the bootstrap 95% confidence interval of the median. What a path adds over the node-node baseline is the table's RTT + column.</figcaption></figure>
{{end}}</section>
{{end}}

<section id="intervals">
<h2>Intervals of every test</h2>
<p class="legend-text">One line per repeat, one point per reporting interval; the grey band is the warm-up, omitted from the results. The panels of a protocol share their unit and time axis; each has its own rate range.</p>
{{range .Series}}{{if .Panels}}<h3>{{.Protocol}}, {{.Unit}}</h3>
<div class="series-grid">{{range .Panels}}{{.}}{{end}}</div>
{{end}}{{end}}
</section>

<section id="environment">
<h2>Environment</h2>
<dl>
<dt>cnibench</dt><dd>{{.Run.CnibenchVersion.Version}} (commit {{.Run.CnibenchVersion.Commit}}, {{.Run.CnibenchVersion.GoVersion}}, {{.Run.CnibenchVersion.Platform}})</dd>
<dt>command</dt><dd><code>{{.CommandRaw}}</code></dd>
<dt>run</dt><dd>{{.Run.ID}} · {{time .Run.Start}} → {{time .Run.End}}</dd>
<dt>cluster</dt><dd>{{.Run.Cluster.Kind}} {{.Run.Cluster.Name}}</dd>
<dt>nodes</dt><dd>{{range $i, $n := .Run.Cluster.Nodes}}{{if $i}}, {{end}}{{$n}}{{end}}</dd>
<dt>kernel</dt><dd>{{.Run.Cluster.Kernel}}</dd>
<dt>CPUs</dt><dd>{{.Run.Cluster.CPUs}}</dd>
{{range .Plan}}<dt>{{index . 0}}</dt><dd>{{index . 1}}</dd>{{end}}
</dl>
{{with .Details}}<h3>Cluster details</h3>
<table class="details">
<thead><tr><th class="l">field</th>{{range .Columns}}<th class="l">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr><td class="l">{{.Field}}</td>{{range .Values}}<td class="v">{{or . "-"}}</td>{{end}}</tr>
{{end}}</tbody>
</table>{{end}}
<h3>Paths</h3>
<table>
<thead><tr><th class="l">variant</th><th class="l">scenario</th><th class="l">from → to</th><th class="l">target</th><th class="l">datapath</th><th>header tax</th><th>MTU</th><th>underlay MTU</th><th>link rate</th></tr></thead>
<tbody>
{{range .Run.Paths}}<tr><td class="l">{{.Variant}}</td><td class="l">{{.Scenario}}</td><td class="l">{{.From}} → {{.To}}</td><td class="l">{{.TargetKind}}</td><td class="l">{{.Path.Datapath}}{{if .Path.Encapsulated}} (encapsulated){{end}}</td><td>{{.Path.HeaderTax}} B</td><td>{{or .Path.MTU "-"}}</td><td>{{or .Path.UnderlayMTU "-"}}</td><td>{{if .Path.LinkRate}}{{rate .Path.LinkRate}}{{else}}unshaped{{end}}</td></tr>
{{end}}</tbody>
</table>
{{if .Failures}}<h3>Failed tests</h3>
<table>
<thead><tr><th class="l">variant</th><th class="l">scenario</th><th class="l">proto</th><th>streams</th><th>repeat</th><th class="l">error</th></tr></thead>
<tbody>
{{range .Failures}}<tr class="failed"><td class="l">{{.Variant}}</td><td class="l">{{.Scenario}}</td><td class="l">{{.Protocol}}</td><td>{{.Streams}}</td><td>{{.Repeat}}</td><td class="l">{{.Error}}</td></tr>
{{end}}</tbody>
</table>{{end}}
</section>
</body>
</html>
`
