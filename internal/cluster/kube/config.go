package kube

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Labels and values on everything cnibench creates.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "cnibench"
	LabelRun       = "cnibench.io/run"
	LabelEndpoint  = "cnibench.io/endpoint" // the pod's endpoint name, for Service selectors
	LabelNode      = "cnibench.io/node"

	// LabelPodSecurity is Pod Security admission's enforce label: the node
	// endpoints are hostNetwork pods, which only the privileged level allows.
	LabelPodSecurity = "pod-security.kubernetes.io/enforce"
	hostnameLabel    = "kubernetes.io/hostname"

	// NamespacePrefix starts every namespace cnibench creates.
	NamespacePrefix = "cnibench-"
	containerName   = "cnibench"
	// serverContainerName runs `iperf3 -s` from Config.ServerImage.
	serverContainerName = "iperf3"
	binaryPath          = "/cnibench"
	// RunAsUser is the unprivileged user every container runs as (the
	// image has no /etc/passwd; distroless's "nonroot").
	RunAsUser = 65532
)

// DefaultReadyTimeout bounds waiting for the pods to be Ready.
const DefaultReadyTimeout = 3 * time.Minute

// Config says which cluster to use and how to place the run there.
type Config struct {
	Client kubernetes.Interface
	// Dynamic reads CRDs for CNI detection (Calico's IPPools); nil =
	// without them.
	Dynamic dynamic.Interface
	// REST is the client configuration exec needs; unused when Exec is set.
	REST *rest.Config
	// Exec runs commands in pods; nil = client-go's remotecommand over
	// REST (WebSocket, falling back to SPDY).
	Exec Executor
	// Name is how the run record names the cluster (the kubeconfig
	// context or the API server's address).
	Name string
	// ID is the run ID: the namespace is cnibench-<ID>, unless Namespace.
	ID string
	// Namespace, when set, is an existing namespace to run in instead of
	// one of the run's own (for users who may create pods only there):
	// the run's objects are then named cnibench-<ID>-..., and Close deletes
	// them by their run label, never the namespace (namespaced.go).
	Namespace string
	// Nodes is the node pair (client side, server side); empty = chosen.
	Nodes []string
	// Mesh, when set, takes every usable node it selects instead of a
	// pair (mesh.go); Nodes must then be empty.
	Mesh *MeshSelection
	// TolerateControlPlane lets the node choice take control-plane nodes
	// tainted NoSchedule; their pods tolerate the taint.
	TolerateControlPlane bool
	// Tolerations let the node choice take nodes whose taints they
	// tolerate (e.g. nodes set aside for benchmarks); the pods placed there
	// tolerate those taints.
	Tolerations []corev1.Toleration
	// Image runs `cnibench server` and `cnibench client`; PullPolicy is
	// its pull policy ("" = IfNotPresent).
	Image      string
	PullPolicy corev1.PullPolicy
	// ServerImage, when set, serves with a stock iperf3 image instead of
	// `cnibench server` (our client speaks iperf3's protocol): each pod
	// runs `iperf3 -s` from it beside an idle cnibench container that the
	// client and netinfo are exec'd in. Pulled with PullPolicy.
	ServerImage string
	// Port the servers listen on; 0 = engine.DefaultPort.
	Port int
	// PodsPerNode is how many pod endpoints each node gets; 0 = 2 (the
	// same-node pod→pod scenario needs two).
	PodsPerNode  int
	ReadyTimeout time.Duration // 0 = DefaultReadyTimeout
	// NodeSettle is how long New waits for nodes whose only fault is a
	// taint the node controller removes by itself (a node that just became
	// Ready keeps node.kubernetes.io/not-ready for a moment); 0 =
	// DefaultNodeSettle, negative = no wait.
	NodeSettle time.Duration
	// APITimeout is how long a call waits for an API server that went
	// away to answer again before the run fails; 0 = DefaultAPITimeout.
	APITimeout time.Duration
	Logger     *slog.Logger // nil = discard

	// ExternalServer, HOST[:PORT] (port 5201 when left out), is a server
	// outside the cluster that the user runs (`cnibench server` or
	// `iperf3 -s`): the far end of pod-external and node-external. It is
	// the endpoint named "external", after the pods.
	ExternalServer string
	// ExternalTrafficPolicy is the NodePort Service's ("" = Cluster). With
	// Local, a node without the backend drops its NodePort's traffic, and
	// the run refuses such a target at once (refusedNodePort).
	ExternalTrafficPolicy corev1.ServiceExternalTrafficPolicy
	// IPFamilies are the families the run measures over (nil = IPv4, or
	// whatever the cluster has). A family the cluster lacks is refused
	// before any test (Families.checkWanted); with IPv6, Services are
	// PreferDualStack, so a dual-stack cluster gives them both ClusterIPs.
	IPFamilies []cluster.Family
}

// DefaultNodeSettle is Config.NodeSettle's default.
const DefaultNodeSettle = 30 * time.Second

func (c Config) withDefaults() Config {
	if c.Port == 0 {
		c.Port = engine.DefaultPort
	}
	if c.PodsPerNode == 0 {
		c.PodsPerNode = 2
	}
	if c.PullPolicy == "" {
		c.PullPolicy = corev1.PullIfNotPresent
	}
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = DefaultReadyTimeout
	}
	if c.NodeSettle == 0 {
		c.NodeSettle = DefaultNodeSettle
	}
	if c.APITimeout == 0 {
		c.APITimeout = DefaultAPITimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.ExternalTrafficPolicy == "" {
		c.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	}
	return c
}

func (c Config) validate() error {
	var errs []error
	if c.Client == nil {
		errs = append(errs, errors.New("no Kubernetes client"))
	}
	if c.Exec == nil && c.REST == nil {
		errs = append(errs, errors.New("no REST config to exec into pods with"))
	}
	if c.ID == "" {
		errs = append(errs, errors.New("no run ID"))
	}
	if c.Image == "" {
		errs = append(errs, &SettingError{Setting: SettingImage, Err: errors.New("none given: name an image that holds cnibench")})
	}
	switch c.PullPolicy {
	case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		errs = append(errs, &SettingError{Setting: SettingPullPolicy, Value: string(c.PullPolicy), Err: errors.New("use Always, IfNotPresent or Never")})
	}
	if len(c.Nodes) != 0 && len(c.Nodes) != 2 {
		errs = append(errs, &SettingError{Setting: SettingNodes, Value: strings.Join(c.Nodes, ","), Err: errors.New("give two nodes, A,B")})
	}
	if c.Mesh != nil && len(c.Nodes) != 0 {
		errs = append(errs, &SettingError{Setting: SettingNodes, Value: strings.Join(c.Nodes, ","), Err: errors.New("a mesh takes its nodes by selector, not a pair")})
	}
	if c.Mesh != nil {
		if _, err := ParseSelector(c.Mesh.Selector); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %d out of range", c.Port))
	}
	if err := CheckTrafficPolicy(c.ExternalTrafficPolicy); err != nil {
		errs = append(errs, err)
	}
	if c.ExternalServer != "" {
		if _, _, err := ParseExternalServer(c.ExternalServer); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// tolerations are what the node choice tolerates: Tolerations, and the
// control-plane taints with TolerateControlPlane.
func (c Config) tolerations() []corev1.Toleration {
	tols := slices.Clone(c.Tolerations)
	if c.TolerateControlPlane {
		tols = append(tols, ControlPlaneTolerations()...)
	}
	return tols
}

// ParseToleration reads a toleration the way kubectl writes a taint:
// KEY=VALUE:EFFECT (Equal), KEY:EFFECT or KEY (Exists), with EFFECT one of
// NoSchedule, PreferNoSchedule, NoExecute, or left out for every effect.
func ParseToleration(s string) (corev1.Toleration, error) {
	spec, effect, hasEffect := strings.Cut(s, ":")
	key, value, hasValue := strings.Cut(spec, "=")
	t := corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists}
	if hasValue {
		t.Operator, t.Value = corev1.TolerationOpEqual, value
	}
	switch e := corev1.TaintEffect(effect); {
	case !hasEffect:
	case e == corev1.TaintEffectNoSchedule || e == corev1.TaintEffectPreferNoSchedule || e == corev1.TaintEffectNoExecute:
		t.Effect = e
	default:
		return t, &SettingError{Setting: SettingToleration, Value: s,
			Err: fmt.Errorf("effect %q: use NoSchedule, PreferNoSchedule or NoExecute (KEY[=VALUE][:EFFECT])", effect)}
	}
	if key == "" {
		return t, &SettingError{Setting: SettingToleration, Value: s, Err: errors.New("no key: use KEY[=VALUE][:EFFECT], e.g. dedicated=benchmark:NoSchedule")}
	}
	return t, nil
}

// Setting is a Config setting a user gives, so that a front end can say
// how its user sets it (the CLI names its flag).
type Setting string

const (
	SettingImage      Setting = "image"             // Config.Image
	SettingPullPolicy Setting = "image pull policy" // Config.PullPolicy
	SettingNodes      Setting = "nodes"             // Config.Nodes
	SettingToleration Setting = "toleration"        // one of Config.Tolerations (ParseToleration)
)

// SettingError is a setting the run cannot use, and why.
type SettingError struct {
	Setting Setting
	Value   string // as given, quoted in the message; "" = not worth repeating
	Err     error
}

func (e *SettingError) Error() string { return e.Named(string(e.Setting)) }

// Named is the message with the setting called name: a front end's own
// word for it, such as a flag.
func (e *SettingError) Named(name string) string {
	if e.Value != "" {
		return fmt.Sprintf("%s %q: %v", name, e.Value, e.Err)
	}
	return fmt.Sprintf("%s: %v", name, e.Err)
}

func (e *SettingError) Unwrap() error { return e.Err }

// Namespace is the namespace of run id.
func Namespace(id string) string { return NamespacePrefix + id }

// namespace is where the run's objects live: Namespace, or the run's own.
func (c Config) namespace() string {
	if c.Namespace != "" {
		return c.Namespace
	}
	return Namespace(c.ID)
}

// objectPrefix starts the names of the run's objects: none in a namespace
// of the run's own, cnibench-<ID>- in a given one, which other runs share.
func (c Config) objectPrefix() string {
	if c.Namespace != "" {
		return NamespacePrefix + c.ID + "-"
	}
	return ""
}
