package lab

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/cnibench/cnibench/internal/netns"
	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Each node gets one table per address family named cnibench-ID, shaped
// like kube-proxy's nftables mode (its "kube-proxy" table):
//
//	table ip cnibench-ID {
//	  map service-ips       { type ipv4_addr . inet_proto . inet_service : verdict }
//	  map service-nodeports { type inet_proto . inet_service : verdict }
//	  chain nat-prerouting  { type nat hook prerouting priority dstnat; jump services }
//	  chain nat-output      { type nat hook output priority dstnat; jump services }
//	  chain nat-postrouting { type nat hook postrouting priority srcnat; jump masquerading; jump nat-outgoing }
//	  chain nat-outgoing { ip saddr 198.19.0.0/16 ip daddr != 198.19.0.0/16 masquerade }
//	  chain services {
//	    ip daddr . meta l4proto . th dport vmap @service-ips
//	    fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports
//	  }
//	  chain masquerading { meta mark & 0x4000 == 0 return; meta mark set meta mark ^ 0x4000; masquerade fully-random }
//	  chain mark-for-masquerade { meta mark set meta mark | 0x4000 }
//	  chain service-N-NAME  { goto endpoint-N-NAME }
//	  chain external-N-NAME { jump mark-for-masquerade; goto service-N-NAME }
//	  chain endpoint-N-NAME { ip saddr BACKEND jump mark-for-masquerade; dnat to BACKEND:PORT }
//	  chain forward { type filter hook forward priority filter; policy accept;
//	    ip daddr POD ip saddr 198.18.255.X tcp dport P accept   # × PolicyRules, never matching
//	  }
//	}

// family holds what differs between the ip and ip6 tables.
type family struct {
	fam       nftables.TableFamily
	nfproto   uint32
	addr      nftables.SetDatatype
	saddrOff  uint32
	daddrOff  uint32
	addrLen   uint32
	protoReg  uint32 // 32-bit register after the address in a concatenation
	portReg   uint32
	loopback  netip.Prefix
	policySrc netip.Prefix
	pods      netip.Prefix
}

var (
	fam4 = family{nftables.TableFamilyIPv4, unix.NFPROTO_IPV4, nftables.TypeIPAddr, 12, 16, 4, 9, 10,
		netip.MustParsePrefix("127.0.0.0/8"), PolicySource4, PodSuper4}
	fam6 = family{nftables.TableFamilyIPv6, unix.NFPROTO_IPV6, nftables.TypeIP6Addr, 8, 24, 16, 12, 13,
		netip.MustParsePrefix("::1/128"), PolicySource6, PodSuper6}
)

const masqueradeBit = 0x4000 // kube-proxy's masquerade mark

func (l *Lab) families() []family {
	if l.cfg.DualStack {
		return []family{fam4, fam6}
	}
	return []family{fam4}
}

// nftConn opens an nftables connection inside ns.
func nftConn(ns *netns.NS) (*nftables.Conn, error) {
	c, err := nftables.New(nftables.WithNetNSFd(ns.Fd()))
	if err != nil {
		return nil, fmt.Errorf("nftables in %s: %w", ns, err)
	}
	return c, nil
}

func (l *Lab) table(f family) *nftables.Table {
	return &nftables.Table{Name: tableName(l.cfg.ID), Family: f.fam}
}

// buildNftables creates each node's service and policy table.
//
// like: nft -f cnibench-ID.nft (see the table above)
func (l *Lab) buildNftables() error {
	for _, n := range l.nodes {
		c, err := nftConn(n.ns)
		if err != nil {
			return err
		}
		for _, f := range l.families() {
			if err := l.nodeTable(c, f); err != nil {
				return fmt.Errorf("%s: %w", NodeName(n.idx), err)
			}
		}
		if err := l.addDummyServices(c); err != nil {
			return fmt.Errorf("%s: %w", NodeName(n.idx), err)
		}
	}
	return nil
}

func (l *Lab) nodeTable(c *nftables.Conn, f family) error {
	t := c.AddTable(l.table(f))
	services := c.AddChain(&nftables.Chain{Name: "services", Table: t})
	masq := c.AddChain(&nftables.Chain{Name: "masquerading", Table: t})
	c.AddChain(&nftables.Chain{Name: "mark-for-masquerade", Table: t})
	base := func(name string, hook *nftables.ChainHook, prio *nftables.ChainPriority, jump string) {
		ch := c.AddChain(&nftables.Chain{Name: name, Table: t, Type: nftables.ChainTypeNAT, Hooknum: hook, Priority: prio})
		c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: []expr.Any{&expr.Verdict{Kind: expr.VerdictJump, Chain: jump}}})
	}
	base("nat-prerouting", nftables.ChainHookPrerouting, nftables.ChainPriorityNATDest, services.Name)
	base("nat-output", nftables.ChainHookOutput, nftables.ChainPriorityNATDest, services.Name)
	base("nat-postrouting", nftables.ChainHookPostrouting, nftables.ChainPriorityNATSource, masq.Name)
	// ip saddr PODS ip daddr != PODS masquerade: pods reach the rest of
	// the world (here: the nodes) from their node's address, as flannel's
	// --ip-masq and Calico's natOutgoing do.
	out := c.AddChain(&nftables.Chain{Name: "nat-outgoing", Table: t})
	c.AddRule(&nftables.Rule{Table: t, Chain: &nftables.Chain{Name: "nat-postrouting", Table: t}, Exprs: []expr.Any{
		&expr.Verdict{Kind: expr.VerdictJump, Chain: out.Name},
	}})
	c.AddRule(&nftables.Rule{Table: t, Chain: out, Exprs: []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: f.saddrOff, Len: f.addrLen},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: f.addrLen, Mask: maskBytes(f.pods), Xor: make([]byte, f.addrLen)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: f.pods.Addr().AsSlice()},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: f.daddrOff, Len: f.addrLen},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: f.addrLen, Mask: maskBytes(f.pods), Xor: make([]byte, f.addrLen)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: f.pods.Addr().AsSlice()},
		&expr.Masq{},
	}})

	if err := l.proxyEntry(c, t, services, f); err != nil {
		return err
	}
	// meta mark & 0x4000 == 0 return; meta mark set meta mark ^ 0x4000; masquerade fully-random
	c.AddRule(&nftables.Rule{Table: t, Chain: masq, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: le32(masqueradeBit), Xor: le32(0)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: le32(0)},
		&expr.Verdict{Kind: expr.VerdictReturn},
	}})
	c.AddRule(&nftables.Rule{Table: t, Chain: masq, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: le32(0xffffffff), Xor: le32(masqueradeBit)},
		&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: 1},
		&expr.Masq{FullyRandom: true},
	}})
	c.AddRule(&nftables.Rule{Table: t, Chain: &nftables.Chain{Name: "mark-for-masquerade", Table: t}, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: le32(^uint32(masqueradeBit)), Xor: le32(masqueradeBit)},
		&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: 1},
	}})
	accept := nftables.ChainPolicyAccept
	fwd := c.AddChain(&nftables.Chain{Name: "forward", Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &accept})
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nft add table %s: %w", t.Name, err)
	}
	return l.policyRules(c, t, fwd, f)
}

// policyRulesPerBatch is how many policy rules go to the kernel in one
// netlink batch: the batch must fit the socket's send buffer and the acks,
// each echoing its request, the receive buffer (net.core.{w,r}mem_default,
// 208 KiB by default). 1000 rules a batch failed with EMSGSIZE, 200 with
// ENOBUFS; 50 builds 20000 rules on each of 3 nodes in 5.8 s.
const policyRulesPerBatch = 50

// policyRules adds PolicyRules rules shaped like a NetworkPolicy's ingress
// allow rules (destination pod, source, port), with sources nothing uses,
// so every forwarded packet walks all of them before the chain's accept.
func (l *Lab) policyRules(c *nftables.Conn, t *nftables.Table, fwd *nftables.Chain, f family) error {
	var pods []netip.Addr
	for _, n := range l.nodes {
		for _, p := range n.pods {
			if f.fam == nftables.TableFamilyIPv4 {
				pods = append(pods, PodIP(n.idx, p.idx))
			} else {
				pods = append(pods, PodIP6(n.idx, p.idx))
			}
		}
	}
	if len(pods) == 0 {
		pods = append(pods, f.policySrc.Addr())
	}
	src := f.policySrc.Addr().As16()
	for r := 0; r < l.cfg.PolicyRules; r++ {
		s := src
		s[15] = byte(1 + r%254)
		saddr := netip.AddrFrom16(s)
		if f.fam == nftables.TableFamilyIPv4 {
			saddr = netip.AddrFrom4([4]byte{s[12], s[13], s[14], s[15]})
		}
		c.AddRule(&nftables.Rule{Table: t, Chain: fwd, Exprs: []expr.Any{
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: f.daddrOff, Len: f.addrLen},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: pods[r%len(pods)].AsSlice()},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: f.saddrOff, Len: f.addrLen},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: saddr.AsSlice()},
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_TCP}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: be16(uint16(1000 + r%50000))},
			&expr.Verdict{Kind: expr.VerdictAccept},
		}})
		if (r+1)%policyRulesPerBatch == 0 {
			if err := c.Flush(); err != nil {
				return fmt.Errorf("nft add rule forward: %w", err)
			}
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nft add rule forward: %w", err)
	}
	return nil
}

// service is one exposed server: a ClusterIP (per family) and a NodePort.
type service struct {
	n        int
	name     string
	backend4 netip.Addr
	backend6 netip.Addr // invalid unless dual-stack
	port     uint16
	nodePort uint16 // 0: none (a dummy)
	dummy    bool   // one of Config.Services: ClusterIP, TCP only
}

// addService programs s on every node, like kube-proxy does for a Service
// with TCP and UDP ports and one endpoint.
//
// like: nft add element ip cnibench-ID service-ips { CLUSTERIP . tcp . PORT : goto service-N-NAME }
func (l *Lab) addService(s service) error {
	for _, n := range l.nodes {
		c, err := nftConn(n.ns)
		if err != nil {
			return err
		}
		for _, f := range l.families() {
			backend := s.backend4
			if f.fam == nftables.TableFamilyIPv6 {
				backend = s.backend6
			}
			if !backend.IsValid() {
				continue
			}
			if err := l.serviceChains(c, f, s, backend); err != nil {
				return fmt.Errorf("%s: %w", NodeName(n.idx), err)
			}
		}
		if err := c.Flush(); err != nil {
			return fmt.Errorf("%s: nft add service %s: %w", NodeName(n.idx), s.name, err)
		}
	}
	return nil
}

func le32(v uint32) []byte { return binaryutil.NativeEndian.PutUint32(v) }

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

// pad4 pads a concatenation field to the 4-byte register size.
func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func maskBytes(p netip.Prefix) []byte {
	return ipNet(p).Mask
}
