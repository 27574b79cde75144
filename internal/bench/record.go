package bench

import (
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// This file is the one place where the engine's and the cluster's types
// become the run record's: the record owns its types, so cnibench.run/v1
// changes only when these functions do (TestRecordMapsEveryField catches a
// field they miss).

// recordResult is res as the run record keeps it; nil stays nil.
func recordResult(res *engine.Result) *runrecord.Result {
	if res == nil {
		return nil
	}
	r := &runrecord.Result{
		Spec: recordSpec(res.Spec), Cookie: res.Cookie, Start: res.Start, End: res.End,
		Local: res.Local, Remote: res.Remote,
		SumSent: runrecord.Totals(res.SumSent), SumReceived: runrecord.Totals(res.SumReceived),
		SumSentReverse: recordTotals(res.SumSentReverse), SumReceivedReverse: recordTotals(res.SumReceivedReverse),
		CPU: runrecord.CPU(res.CPU), SenderCongestion: res.SenderCongestion, ReceiverCongestion: res.ReceiverCongestion,
		MSS: res.MSS, Modes: res.Modes, PeerModes: res.PeerModes, ServerOutputJSON: res.ServerOutputJSON, ServerOutputText: res.ServerOutputText,
	}
	if res.Connected != nil {
		r.Connected = make([]runrecord.Connection, len(res.Connected))
		for i, c := range res.Connected {
			r.Connected[i] = runrecord.Connection(c)
		}
	}
	if res.Intervals != nil {
		r.Intervals = make([]runrecord.Interval, len(res.Intervals))
		for i, iv := range res.Intervals {
			r.Intervals[i] = runrecord.Interval{Sum: runrecord.IntervalStream(iv.Sum)}
			if iv.Streams != nil {
				r.Intervals[i].Streams = make([]runrecord.IntervalStream, len(iv.Streams))
				for j, s := range iv.Streams {
					r.Intervals[i].Streams[j] = runrecord.IntervalStream(s)
				}
			}
			if iv.SumReverse != nil {
				rev := runrecord.IntervalStream(*iv.SumReverse)
				r.Intervals[i].SumReverse = &rev
			}
		}
	}
	if res.Streams != nil {
		r.Streams = make([]runrecord.Stream, len(res.Streams))
		for i, s := range res.Streams {
			r.Streams[i] = runrecord.Stream{ID: s.ID, Sender: s.Sender, Sent: runrecord.Totals(s.Sent), Received: runrecord.Totals(s.Received)}
		}
	}
	if rtt := res.ConnectRTT; rtt != nil {
		r.ConnectRTT = &runrecord.RTT{Probes: rtt.Probes, Failed: rtt.Failed, SamplesUs: rtt.SamplesUs,
			MinUs: rtt.MinUs, MedianUs: rtt.MedianUs, P90Us: rtt.P90Us, MaxUs: rtt.MaxUs}
	}
	return r
}

func recordSpec(s engine.Spec) runrecord.Spec {
	return runrecord.Spec{
		Protocol: stats.Protocol(s.Protocol), Duration: s.Duration, Bytes: s.Bytes, Blocks: s.Blocks,
		Streams: s.Streams, Reverse: s.Reverse, Bidir: s.Bidir, Rate: s.Rate, Length: s.Length,
		Window: s.Window, MSS: s.MSS, Congestion: s.Congestion, NoDelay: s.NoDelay, ZeroCopy: s.ZeroCopy,
		Discard: s.Discard, UDPCounters64: s.UDPCounters64, Omit: s.Omit, Interval: s.Interval, Family: int(s.Family),
		Title: s.Title, GetServerOutput: s.GetServerOutput, ConnectTimeout: s.ConnectTimeout, RTTProbes: s.RTTProbes,
	}
}

func recordTotals(t *engine.Totals) *runrecord.Totals {
	if t == nil {
		return nil
	}
	r := runrecord.Totals(*t)
	return &r
}

// recordPath is a cluster's path as the run record keeps it.
func recordPath(p cluster.Path) runrecord.Path {
	return runrecord.Path{Datapath: string(p.Datapath), Encapsulated: p.Encapsulated, HeaderTax: p.HeaderTax,
		MTU: p.MTU, UnderlayMTU: p.UnderlayMTU, LinkRate: p.LinkRate, UnderlayFamily: int(p.UnderlayFamily)}
}

// recordCluster is a cluster's info as the run record keeps it.
func recordCluster(i cluster.Info) runrecord.ClusterInfo {
	return runrecord.ClusterInfo{Kind: i.Kind, Name: i.Name, Nodes: i.Nodes, Kernel: i.Kernel, CPUs: i.CPUs,
		Details: i.Details, Facts: i.Facts, Warnings: i.Warnings, ServiceProxy: i.ServiceProxy}
}

// recordProtocols are the plan's protocols as the run record keeps them.
func recordProtocols(ps []engine.Protocol) []stats.Protocol {
	if ps == nil {
		return nil
	}
	out := make([]stats.Protocol, len(ps))
	for i, p := range ps {
		out[i] = stats.Protocol(p)
	}
	return out
}

// recordLatency is a latency result as the run record keeps it.
func recordLatency(res *engine.LatencyResult) *runrecord.LatencyResult {
	s := res.Spec
	return &runrecord.LatencyResult{
		Spec: runrecord.LatencySpec{Mode: string(s.Mode), Duration: s.Duration, Transactions: s.Transactions,
			RequestSize: s.RequestSize, ResponseSize: s.ResponseSize, Rate: s.Rate, MaxOutstanding: s.MaxOutstanding,
			Timeout: s.Timeout, ConnectTimeout: s.ConnectTimeout, Family: int(s.Family)},
		Start: res.Start, End: res.End, Local: res.Local, Remote: res.Remote, Seconds: res.Seconds,
		Transactions: res.Transactions, TransactionsPerSecond: res.TransactionsPerSecond, Errors: res.Errors,
		Lost: res.Lost, Duplicated: res.Duplicated, Reordered: res.Reordered, MinUs: res.MinUs, MeanUs: res.MeanUs,
		P50Us: res.P50Us, P90Us: res.P90Us, P99Us: res.P99Us, P999Us: res.P999Us, MaxUs: res.MaxUs, Histogram: res.Histogram,
	}
}

// recordNodeCPU is a test's node CPU as the run record keeps it: the
// client's node and the server's, each charged with the bits of its side
// of the measured direction (the client sends unless the test is reverse).
func recordNodeCPU(res *engine.Result, wall time.Duration, client, server nodeUse) *runrecord.NodeCPU {
	sent, received := windowBits(res)
	out := &runrecord.NodeCPU{WindowSeconds: wall.Seconds(), BitsSent: sent, BitsReceived: received}
	clientSide, serverSide := runrecord.SideSender, runrecord.SideReceiver
	if res.Spec.Reverse {
		clientSide, serverSide = serverSide, clientSide
	}
	for _, n := range []struct {
		role, side string
		use        nodeUse
	}{{runrecord.RoleClient, clientSide, client}, {runrecord.RoleServer, serverSide, server}} {
		rec := runrecord.NodeCPUUse{Role: n.role, Node: n.use.node, Side: n.side}
		if n.use.err != nil {
			rec.Error = n.use.err.Error()
			out.Nodes = append(out.Nodes, rec)
			continue
		}
		u := n.use.usage
		rec.CPUs, rec.User, rec.System, rec.SoftIRQ, rec.IRQ, rec.Steal, rec.Idle = u.CPUs, u.User, u.System, u.SoftIRQ, u.IRQ, u.Steal, u.Idle
		rec.Busy = u.BusyFraction()
		bits := sent
		if n.side == runrecord.SideReceiver {
			bits = received
		}
		if perGbit, ok := u.PerGbit(bits); ok {
			softirq := u.SoftIRQ / (bits / 1e9)
			rec.PerGbit, rec.SoftIRQPerGbit = &perGbit, &softirq
		}
		out.Nodes = append(out.Nodes, rec)
	}
	return out
}
