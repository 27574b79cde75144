// Command kubectl-cnibench is cnibench as a kubectl plugin: installed on
// PATH it runs as `kubectl cnibench ...`, with the same commands and flags
// (`kubectl cnibench run --cluster kube` measures the current context).
package main

import (
	"os"

	"github.com/cnibench/cnibench/internal/cli"
)

func main() {
	os.Exit(cli.MainAs("kubectl cnibench", os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
