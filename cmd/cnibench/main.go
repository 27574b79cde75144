// Command cnibench measures what a Kubernetes pod network costs in bandwidth
// and latency compared with the bare nodes underneath it.
package main

import (
	"os"

	"github.com/cnibench/cnibench/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
