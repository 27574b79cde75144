package cli

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/cnibench/cnibench/internal/agent"
	"github.com/cnibench/cnibench/internal/nodecpu"
	"github.com/spf13/cobra"
)

// The hidden commands below are the kube backend's agent: they run inside
// its pods, whose image holds nothing but the cnibench binary (no shell,
// no sleep, no nc). Their work and wire format are internal/agent's; the
// client's hidden --spec-json and --result-json are in client.go.

// newIdleCommand is the hidden `cnibench idle`: it waits until the pod is
// stopped. With --server-image the cnibench container has nothing to
// serve; it only stays up for the client and netinfo to be exec'd in.
func newIdleCommand(Streams) *cobra.Command {
	return &cobra.Command{
		Use:     agent.CmdIdle,
		Short:   "Wait until SIGTERM or SIGINT (the kube backend's exec container)",
		Example: "  cnibench idle",
		Hidden:  true,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			<-cmd.Context().Done()
			return nil
		},
	}
}

// newProbeCommand is the hidden `cnibench probe` (agent.ProbeAll).
func newProbeCommand(s Streams) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:     agent.CmdProbe + " ADDR:PORT...",
		Short:   "Wait until every ADDR:PORT accepts a TCP connection (for the kube backend)",
		Example: "  cnibench probe --timeout 30s 198.18.128.10:5201 198.18.0.2:31234",
		Hidden:  true,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addrs, err := agent.ParseProbeAddrs(args)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return agent.ProbeAll(ctx, s.Out, addrs)
		},
	}
	cmd.Flags().DurationVar(&timeout, agent.FlagProbeTimeout, 30*time.Second, "give up after this long")
	return cmd
}

// newNetinfoCommand is the hidden `cnibench netinfo`: the interfaces, their
// MTUs and addresses as JSON (agent.Interfaces).
func newNetinfoCommand(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:     agent.CmdNetinfo,
		Short:   "Print network interfaces, MTUs and addresses as JSON (for the kube backend)",
		Example: "  cnibench netinfo",
		Hidden:  true,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ifs, err := agent.Interfaces()
			if err != nil {
				return err
			}
			return agent.WriteInterfaces(s.Out, ifs)
		},
	}
}

// newCPUStatCommand is the hidden `cnibench cpustat`: the node's CPU times
// from /proc/stat as one JSON line (agent.WriteCPUStat). /proc/stat is not
// namespaced, so in any pod it is the node's.
func newCPUStatCommand(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:     agent.CmdCPUStat,
		Short:   "Print the node's CPU times from /proc/stat as one JSON line (for the kube backend)",
		Example: "  cnibench cpustat",
		Hidden:  true,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := nodecpu.Read()
			if err != nil {
				return err
			}
			return agent.WriteCPUStat(s.Out, t)
		},
	}
}

// newProxyModeCommand is the hidden `cnibench proxymode`: kube-proxy's mode
// from its metrics endpoint on loopback (agent.ProxyMode), exec'd in a
// node's hostNetwork pod.
func newProxyModeCommand(s Streams) *cobra.Command {
	var port uint16
	cmd := &cobra.Command{
		Use:     agent.CmdProxyMode,
		Short:   "Print kube-proxy's mode from http://127.0.0.1:10249/proxyMode (for the kube backend)",
		Example: "  cnibench proxymode",
		Hidden:  true,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			mode, err := agent.ProxyMode(cmd.Context(), netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), port))
			if err != nil {
				return err
			}
			fmt.Fprintln(s.Out, mode)
			return nil
		},
	}
	cmd.Flags().Uint16Var(&port, agent.FlagProxyModePort, agent.ProxyModePort, "kube-proxy's metrics port")
	return cmd
}
