// Package cli builds cnibench's commands: each command is one small file
// whose RunE turns flags into an options struct and calls one library
// function, so every behaviour can be tested without cobra.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"syscall"

	"github.com/cnibench/cnibench/internal/cluster/lab"
	"github.com/spf13/cobra"
)

// Streams are what the process gives the command: its standard streams
// (results go to Out, people's messages and progress to Err) and its
// arguments.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// Args are the command line after the program's name, as Main got
	// them: a run records them, the rootless lab runs them again. cmd/*
	// pass os.Args in; nothing below Main reads os.Args itself.
	Args []string
}

// exitError carries an exit status other than 1 through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// Main runs cnibench with args and returns the process exit status.
func Main(args []string, in io.Reader, out, errw io.Writer) int {
	return MainAs("", args, in, out, errw)
}

// MainAs is Main under another name in usage lines: "kubectl cnibench"
// for the kubectl plugin ("" = cnibench).
func MainAs(displayName string, args []string, in io.Reader, out, errw io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	root := NewRootCommand(Streams{In: in, Out: out, Err: errw, Args: args})
	if displayName != "" {
		root.Annotations = map[string]string{cobra.CommandDisplayNameAnnotation: displayName}
	}
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(errw, "cnibench: %v\n", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if ctx.Err() != nil {
		return 130
	}
	return 1
}

// NewRootCommand builds the whole command tree.
func NewRootCommand(s Streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "cnibench",
		Short: "Measure what a Kubernetes pod network costs against the bare nodes under it",
		Long: `cnibench measures bandwidth and latency of every path in a pod network
(node→node baseline, pod→node, node→pod, pod→pod, pod→Service) and says what
the pod network costs. Its engine speaks iperf3's protocol, so a stock iperf3
can be the other end of any test.`,
		Example: `  # measure loopback against a stock iperf3 or another cnibench
  cnibench server &
  cnibench client 127.0.0.1 -t 5`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	labs := lab.Store{Dir: lab.DefaultStateDir}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.AddCommand(
		newVersionCommand(s),
		newRunCommand(s),
		newMeshCommand(s),
		newServerCommand(s),
		newClientCommand(s),
		newReportCommand(s),
		newCompareCommand(s),
		newLabCommand(s, labs),
		newCleanupCommand(s, labs),
		newImageCommand(s),
		newNetinfoCommand(s),
		newCPUStatCommand(s),
		newIdleCommand(s),
		newProbeCommand(s),
		newProxyModeCommand(s),
	)
	registerCompletions(root, labs)
	return root
}

// logger writes people's messages to stderr.
func logger(s Streams, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if !verbose {
		level = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(s.Err, &slog.HandlerOptions{Level: level}))
}
