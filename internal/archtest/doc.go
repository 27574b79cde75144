// Package archtest holds no code: its test checks that the module's
// packages import each other only the one way docs/design/architecture.md
// draws (cli → bench → cluster/* → engine → iperf3, the leaves beside).
package archtest
