package lab

import (
	"fmt"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// ServiceProxy is how the lab's nodes implement Services, named after
// kube-proxy's modes: what a new connection pays to find its Service
// differs between them, and a real cluster has many Services.
type ServiceProxy string

const (
	// NFTablesProxy is kube-proxy's nftables mode: verdict maps keyed by
	// address, protocol and port, one lookup per new connection however
	// many Services there are.
	NFTablesProxy ServiceProxy = "nftables"
	// IPTablesProxy is kube-proxy's iptables mode, written as nftables
	// rules: KUBE-SERVICES is a linear list with one rule per Service
	// port, which every new connection walks until one matches.
	IPTablesProxy ServiceProxy = "iptables"
)

// ServiceProxies lists the modes the lab builds; the first is the default.
var ServiceProxies = []ServiceProxy{NFTablesProxy, IPTablesProxy}

// MaxServices bounds Config.Services: the dummy ClusterIPs' range.
const MaxServices = 8000

// DummyServices4 holds the dummy Services' ClusterIPs (8192 addresses);
// their backends are in dummyBackends4, where no pod lives (node 255).
var (
	DummyServices4 = netip.MustParsePrefix("198.18.160.0/19")
	DummyServices6 = netip.MustParsePrefix("fd00:198:18:160::/112")
	dummyBackends4 = netip.MustParsePrefix("198.19.255.0/24")
	dummyBackends6 = netip.MustParsePrefix("fd00:198:19:255::/64")
)

// dummyPort is every dummy Service's one TCP port.
const dummyPort = 80

// dummyService is the i-th (0-based) dummy Service: a ClusterIP with one
// TCP port and one endpoint that never answers, as a cluster's other
// Services sit in the tables without carrying the test's traffic.
func dummyService(i int) service {
	return service{n: i, name: "dummy", dummy: true,
		backend4: nth(dummyBackends4, 1+i%250), backend6: nth(dummyBackends6, 1+i%250), port: dummyPort}
}

// nth is the address n above p's first.
func nth(p netip.Prefix, n int) netip.Addr {
	b := p.Addr().As16()
	for i := 15; i >= 0 && n > 0; i-- {
		v := int(b[i]) + n
		b[i], n = byte(v), v>>8
	}
	a := netip.AddrFrom16(b)
	if p.Addr().Is4() {
		return a.Unmap()
	}
	return a
}

// serviceVIP is s's ClusterIP in family f.
func serviceVIP(s service, f family) netip.Addr {
	switch {
	case s.dummy && f.fam == nftables.TableFamilyIPv6:
		return nth(DummyServices6, s.n)
	case s.dummy:
		return nth(DummyServices4, s.n)
	case f.fam == nftables.TableFamilyIPv6:
		return ClusterIP6(s.n)
	}
	return ClusterIP(s.n)
}

// protocols are the protocols s has a port for: a measured Service TCP
// and UDP, a dummy TCP.
func (s service) protocols() []byte {
	if s.dummy {
		return []byte{unix.IPPROTO_TCP}
	}
	return []byte{unix.IPPROTO_TCP, unix.IPPROTO_UDP}
}

func (s service) suffix() string { return fmt.Sprintf("%d-%s-p%d", s.n, s.name, s.port) }

// Chain names of the iptables mode, kube-proxy's.
const (
	kubeServices  = "KUBE-SERVICES"
	kubeNodePorts = "KUBE-NODEPORTS"
)

// proxyEntry fills the chain "services" the nat hooks jump to, as the
// mode does it:
//
//	nftables: ip daddr . meta l4proto . th dport vmap @service-ips
//	          fib daddr type local ip daddr != LOOPBACK meta l4proto . th dport vmap @service-nodeports
//	iptables: jump KUBE-SERVICES
//	          fib daddr type local ip daddr != LOOPBACK jump KUBE-NODEPORTS
func (l *Lab) proxyEntry(c *nftables.Conn, t *nftables.Table, services *nftables.Chain, f family) error {
	if l.cfg.ServiceProxy == IPTablesProxy {
		c.AddChain(&nftables.Chain{Name: kubeServices, Table: t})
		c.AddChain(&nftables.Chain{Name: kubeNodePorts, Table: t})
		c.AddRule(&nftables.Rule{Table: t, Chain: services, Exprs: []expr.Any{&expr.Verdict{Kind: expr.VerdictJump, Chain: kubeServices}}})
		c.AddRule(&nftables.Rule{Table: t, Chain: services, Exprs: append(localNotLoopback(f), &expr.Verdict{Kind: expr.VerdictJump, Chain: kubeNodePorts})})
		return nil
	}
	ips, nps := serviceMaps(t, f)
	for _, s := range []*nftables.Set{ips, nps} {
		if err := c.AddSet(s, nil); err != nil {
			return fmt.Errorf("nft add map %s: %w", s.Name, err)
		}
	}
	c.AddRule(&nftables.Rule{Table: t, Chain: services, Exprs: []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: f.daddrOff, Len: f.addrLen},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: f.protoReg},
		&expr.Payload{DestRegister: f.portReg, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Lookup{SourceRegister: 1, SetName: ips.Name, SetID: ips.ID, DestRegister: 0, IsDestRegSet: true},
	}})
	c.AddRule(&nftables.Rule{Table: t, Chain: services, Exprs: append(localNotLoopback(f),
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Payload{DestRegister: 9, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Lookup{SourceRegister: 1, SetName: nps.Name, SetID: nps.ID, DestRegister: 0, IsDestRegSet: true},
	)})
	return nil
}

// serviceMaps are the nftables mode's verdict maps.
func serviceMaps(t *nftables.Table, f family) (ips, nps *nftables.Set) {
	ips = &nftables.Set{Table: t, Name: "service-ips", IsMap: true, Concatenation: true,
		KeyType: nftables.MustConcatSetType(f.addr, nftables.TypeInetProto, nftables.TypeInetService), DataType: nftables.TypeVerdict}
	nps = &nftables.Set{Table: t, Name: "service-nodeports", IsMap: true, Concatenation: true,
		KeyType: nftables.MustConcatSetType(nftables.TypeInetProto, nftables.TypeInetService), DataType: nftables.TypeVerdict}
	return ips, nps
}

// localNotLoopback matches a packet to one of the node's own addresses
// other than loopback: where NodePorts listen.
//
// like: fib daddr type local ip daddr != 127.0.0.0/8
func localNotLoopback(f family) []expr.Any {
	lo := f.loopback
	return []expr.Any{
		&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: f.daddrOff, Len: f.addrLen},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: f.addrLen, Mask: maskBytes(lo), Xor: make([]byte, f.addrLen)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: lo.Masked().Addr().AsSlice()},
	}
}

// serviceChains adds s's chains and its entries in family f, in the
// mode's shape (in the caller's batch):
//
//	nftables: service-S { goto endpoint-S }, external-S { jump mark-for-masquerade; goto service-S },
//	          endpoint-S { ip saddr BACKEND jump mark-for-masquerade; dnat to BACKEND:PORT },
//	          elements VIP . PROTO . PORT : goto service-S, PROTO . NODEPORT : goto external-S
//	iptables: KUBE-SVC-S { jump KUBE-SEP-S }, KUBE-EXT-S { jump mark-for-masquerade; jump KUBE-SVC-S },
//	          KUBE-SEP-S { ip saddr BACKEND jump mark-for-masquerade; dnat to BACKEND:PORT },
//	          KUBE-SERVICES += ip daddr VIP meta l4proto PROTO th dport PORT jump KUBE-SVC-S,
//	          KUBE-NODEPORTS += meta l4proto PROTO th dport NODEPORT jump KUBE-EXT-S
func (l *Lab) serviceChains(c *nftables.Conn, f family, s service, backend netip.Addr) error {
	t := l.table(f)
	names := [3]string{"service-", "external-", "endpoint-"}
	if l.cfg.ServiceProxy == IPTablesProxy {
		names = [3]string{"KUBE-SVC-", "KUBE-EXT-", "KUBE-SEP-"}
	}
	svc := c.AddChain(&nftables.Chain{Name: names[0] + s.suffix(), Table: t})
	ext := c.AddChain(&nftables.Chain{Name: names[1] + s.suffix(), Table: t})
	ep := c.AddChain(&nftables.Chain{Name: names[2] + s.suffix(), Table: t})
	// ip saddr BACKEND jump mark-for-masquerade (hairpin)
	c.AddRule(&nftables.Rule{Table: t, Chain: ep, Exprs: []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: f.saddrOff, Len: f.addrLen},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: backend.AsSlice()},
		&expr.Verdict{Kind: expr.VerdictJump, Chain: "mark-for-masquerade"},
	}})
	// dnat to BACKEND:PORT
	c.AddRule(&nftables.Rule{Table: t, Chain: ep, Exprs: []expr.Any{
		&expr.Immediate{Register: 1, Data: backend.AsSlice()},
		&expr.Immediate{Register: 2, Data: be16(s.port)},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: f.nfproto, RegAddrMin: 1, RegProtoMin: 2, Specified: true},
	}})
	c.AddRule(&nftables.Rule{Table: t, Chain: svc, Exprs: []expr.Any{&expr.Verdict{Kind: expr.VerdictGoto, Chain: ep.Name}}})
	c.AddRule(&nftables.Rule{Table: t, Chain: ext, Exprs: []expr.Any{&expr.Verdict{Kind: expr.VerdictJump, Chain: "mark-for-masquerade"}}})
	c.AddRule(&nftables.Rule{Table: t, Chain: ext, Exprs: []expr.Any{&expr.Verdict{Kind: expr.VerdictGoto, Chain: svc.Name}}})
	vip := serviceVIP(s, f)
	if l.cfg.ServiceProxy == IPTablesProxy {
		l.iptablesEntries(c, t, f, s, vip, svc.Name, ext.Name)
		return nil
	}
	ips, nps := serviceMaps(t, f)
	var ipElems, npElems []nftables.SetElement
	for _, proto := range s.protocols() {
		key := append(append(vip.AsSlice(), pad4([]byte{proto})...), pad4(be16(s.port))...)
		ipElems = append(ipElems, nftables.SetElement{Key: key, VerdictData: &expr.Verdict{Kind: expr.VerdictGoto, Chain: svc.Name}})
		if s.nodePort != 0 {
			npKey := append(pad4([]byte{proto}), pad4(be16(s.nodePort))...)
			npElems = append(npElems, nftables.SetElement{Key: npKey, VerdictData: &expr.Verdict{Kind: expr.VerdictGoto, Chain: ext.Name}})
		}
	}
	if err := c.SetAddElements(ips, ipElems); err != nil {
		return fmt.Errorf("nft add element %s: %w", ips.Name, err)
	}
	if len(npElems) > 0 {
		if err := c.SetAddElements(nps, npElems); err != nil {
			return fmt.Errorf("nft add element %s: %w", nps.Name, err)
		}
	}
	return nil
}

// iptablesEntries appends s's rules to KUBE-SERVICES and KUBE-NODEPORTS:
// one per port, matched in turn by every new connection.
func (l *Lab) iptablesEntries(c *nftables.Conn, t *nftables.Table, f family, s service, vip netip.Addr, svc, ext string) {
	for _, proto := range s.protocols() {
		match := []expr.Any{
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		}
		c.AddRule(&nftables.Rule{Table: t, Chain: &nftables.Chain{Name: kubeServices, Table: t}, Exprs: append([]expr.Any{
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: f.daddrOff, Len: f.addrLen},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: vip.AsSlice()},
		}, append(match,
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: be16(s.port)},
			&expr.Verdict{Kind: expr.VerdictJump, Chain: svc},
		)...)})
		if s.nodePort != 0 {
			c.AddRule(&nftables.Rule{Table: t, Chain: &nftables.Chain{Name: kubeNodePorts, Table: t}, Exprs: append(match,
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: be16(s.nodePort)},
				&expr.Verdict{Kind: expr.VerdictJump, Chain: ext},
			)})
		}
	}
}

// servicesPerBatch is how many dummy Services go to the kernel in one
// netlink batch (each is 3 chains and up to 6 rules; see
// policyRulesPerBatch for the buffer limits).
const servicesPerBatch = 10

// addDummyServices programs the config's dummy Services on one node, in
// every family, before any measured Service: in iptables mode a measured
// Service's rules come after all of theirs.
func (l *Lab) addDummyServices(c *nftables.Conn) error {
	for i := 0; i < l.cfg.Services; i++ {
		s := dummyService(i)
		for _, f := range l.families() {
			backend := s.backend4
			if f.fam == nftables.TableFamilyIPv6 {
				backend = s.backend6
			}
			if err := l.serviceChains(c, f, s, backend); err != nil {
				return err
			}
		}
		if (i+1)%servicesPerBatch == 0 {
			if err := c.Flush(); err != nil {
				return fmt.Errorf("nft add dummy services: %w", err)
			}
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nft add dummy services: %w", err)
	}
	return nil
}
