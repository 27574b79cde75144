package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/agent"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/nodecpu"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

const testID = "t3st01"

// node is a Ready node with an InternalIP.
func node(name, ip string, mods ...func(*corev1.Node)) *corev1.Node {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{hostnameLabel: name, labelOS: "linux", labelArch: "amd64"}},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
			Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}},
			NodeInfo:   corev1.NodeSystemInfo{KernelVersion: "6.1.0-test", OSImage: "Debian", Architecture: "amd64"},
		},
	}
	for _, m := range mods {
		m(n)
	}
	return n
}

// fakeCluster is a fake API server that behaves enough like a cluster:
// pods become Ready on the node their affinity names (unless podState
// says otherwise), Services get addresses and EndpointSlices.
type fakeCluster struct {
	cs       *fake.Clientset
	podState func(*corev1.Pod)     // nil = Ready
	svcState func(*corev1.Service) // nil = one IPv4 ClusterIP
	exec     *fakeExec
	nextIP   int
	nextUID  int
	mu       sync.Mutex
}

func newFake(t *testing.T, objs ...runtime.Object) *fakeCluster {
	t.Helper()
	objs = append(objs, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: Namespace(testID)}})
	f := &fakeCluster{cs: fake.NewClientset(objs...), exec: &fakeExec{}}
	nodeIPs := map[string]string{}
	for _, o := range objs {
		if n, ok := o.(*corev1.Node); ok {
			nodeIPs[n.Name] = n.Status.Addresses[0].Address
		}
	}
	f.cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		p := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
		f.mu.Lock()
		defer f.mu.Unlock()
		p.Spec.NodeName = p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions[0].Values[0]
		ip := nodeIPs[p.Spec.NodeName]
		if !p.Spec.HostNetwork {
			f.nextIP++
			ip = fmt.Sprintf("198.19.%d.%d", f.nextIP/256, f.nextIP%256) // 198.19.0.n below 256
		}
		f.nextUID++
		p.UID = types.UID(fmt.Sprintf("uid-%d", f.nextUID)) // as the API server gives each pod its own
		p.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}
		if f.podState != nil {
			f.podState(p)
		}
		return false, nil, nil
	})
	nodePort := int32(30000)
	f.cs.PrependReactor("create", "services", func(a k8stesting.Action) (bool, runtime.Object, error) {
		s := a.(k8stesting.CreateAction).GetObject().(*corev1.Service)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.nextIP++
		s.Spec.ClusterIP = fmt.Sprintf("198.18.128.%d", f.nextIP)
		s.Spec.ClusterIPs = []string{s.Spec.ClusterIP}
		if f.svcState != nil {
			f.svcState(s)
		}
		if s.Spec.Type == corev1.ServiceTypeNodePort {
			for i := range s.Spec.Ports {
				nodePort++
				s.Spec.Ports[i].NodePort = nodePort
			}
		}
		yes := true
		sl := &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Name: s.Name + "-x", Namespace: s.Namespace, Labels: map[string]string{discoveryv1.LabelServiceName: s.Name}},
			Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"198.19.0.9"}, Conditions: discoveryv1.EndpointConditions{Ready: &yes},
				TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: s.Spec.Selector[LabelEndpoint]}}},
		}
		if err := f.cs.Tracker().Add(sl); err != nil {
			return true, nil, err
		}
		return false, nil, nil
	})
	return f
}

func (f *fakeCluster) config() Config {
	return Config{Client: f.cs, Exec: f.exec, ID: testID, Image: "cnibench.invalid/cnibench:test", Name: "fake", ReadyTimeout: 5 * time.Second,
		NodeSettle: -1} // a test that waits for taints to clear sets its own
}

// fakeExec answers `cnibench netinfo`, `probe` and `client` like the
// real ones would, and records the commands.
type fakeExec struct {
	mu         sync.Mutex
	calls      [][]string
	pods       []string
	containers []string
	mtu        int                                                          // pods' eth0 MTU; 0 = 1450
	client     func(ctx context.Context, cmd []string, out io.Writer) error // nil = one interval, then a result
	probe      func(cmd []string, stderr io.Writer) error
	cpustat    func(pod string, out io.Writer) error // nil = growing counters of 4 CPUs
	reads      int                                   // cpustat calls answered
	proxyMode  func(pod string) (string, error)      // nil = no kube-proxy answers
	execErr    error
}

// lastContainer is the container of the last exec.
func (e *fakeExec) lastContainer() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.containers[len(e.containers)-1]
}

func (e *fakeExec) Exec(ctx context.Context, ns, pod, container string, cmd []string, stdout, stderr io.Writer) error {
	e.mu.Lock()
	e.calls = append(e.calls, cmd)
	e.pods = append(e.pods, pod)
	e.containers = append(e.containers, container)
	e.mu.Unlock()
	if e.execErr != nil {
		fmt.Fprintln(stderr, "exec: something broke")
		return e.execErr
	}
	switch cmd[1] {
	case "netinfo":
		mtu := e.mtu
		if mtu == 0 {
			mtu = 1450
		}
		ifs := []agent.NetInterface{{Name: "lo", MTU: 65536, Addrs: []string{"127.0.0.1/8"}}, {Name: "eth0", MTU: mtu}}
		if strings.Contains(pod, "host-") { // host-1, or cnibench-<id>-host-1 in a given namespace
			ifs = []agent.NetInterface{{Name: "eth0", MTU: 1500, Addrs: []string{"198.18.0.1/24", "198.18.0.2/24"}}, {Name: "lo", MTU: 65536, Addrs: []string{"127.0.0.1/8"}}}
		}
		return json.NewEncoder(stdout).Encode(ifs)
	case "cpustat":
		if e.cpustat != nil {
			return e.cpustat(pod, stdout)
		}
		e.mu.Lock()
		e.reads++
		n := uint64(e.reads)
		e.mu.Unlock()
		return agent.WriteCPUStat(stdout, nodecpu.Times{User: 100 * n, System: 50 * n, SoftIRQ: 30 * n, Idle: 200 * n, CPUs: 4})
	case "probe":
		if e.probe != nil {
			return e.probe(cmd, stderr)
		}
		return nil
	case "proxymode":
		if e.proxyMode == nil {
			fmt.Fprintln(stderr, "Error: no kube-proxy at http://127.0.0.1:10249/proxyMode: connection refused")
			return errors.New("command terminated with exit code 1")
		}
		mode, err := e.proxyMode(pod)
		fmt.Fprintln(stdout, mode)
		return err
	case "client":
		if e.client != nil {
			return e.client(ctx, cmd, stdout)
		}
		enc := json.NewEncoder(stdout)
		_ = enc.Encode(agent.Line{Interval: &engine.Interval{Sum: engine.IntervalStream{BitsPerSecond: 1e9}}})
		return enc.Encode(agent.Line{Result: &engine.Result{SumReceived: engine.Totals{BitsPerSecond: 9e8}}})
	}
	return fmt.Errorf("unexpected command %v", cmd)
}
