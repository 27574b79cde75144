package kube

import (
	"fmt"
	"strconv"

	"github.com/cnibench/cnibench/internal/cluster"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// labelKind says whether an endpoint pod is a node's (hostNetwork) or a
// pod's; kindPod is the latter, which NetworkPolicies select.
const (
	labelKind = "cnibench.io/kind"
	kindPod   = "pod"
)

// labels are the labels of everything of run id.
func labels(id string) map[string]string {
	return map[string]string{LabelManagedBy: ManagedBy, LabelRun: id}
}

// namespaceObject is the run's namespace. Its Pod Security level is
// privileged because the node endpoints are hostNetwork pods; every other
// pod still runs as restricted allows.
func namespaceObject(id string) *corev1.Namespace {
	l := labels(id)
	l[LabelPodSecurity] = "privileged"
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace(id), Labels: l}}
}

// podSpec is one endpoint's pod to create.
type podSpec struct {
	name  string // the pod's name
	short string // its name without the run's object prefix
	node  string // the node it is pinned to
	kind  cluster.EndpointKind
	taint []corev1.Taint // the node's taints, tolerated
}

// endpointName is the cluster.Endpoint name of a pod: node endpoints are
// named after their node (as Config.Nodes names them), pods after the pod.
func (p podSpec) endpointName() string {
	if p.kind == cluster.NodeEndpoint {
		return p.node
	}
	return p.short
}

// podNames lists the pods for the nodes (a pair, or a mesh's): on node i
// (from 1) a hostNetwork pod host-i and pods pod-ia, pod-ib, ..., each
// name after prefix.
func podNames(nodes []string, perNode int, prefix string) []podSpec {
	var out []podSpec
	add := func(short, node string, kind cluster.EndpointKind) {
		out = append(out, podSpec{name: prefix + short, short: short, node: node, kind: kind})
	}
	for i, n := range nodes {
		add(fmt.Sprintf("host-%d", i+1), n, cluster.NodeEndpoint)
	}
	for i, n := range nodes {
		for j := 0; j < perNode; j++ {
			add(fmt.Sprintf("pod-%d%c", i+1, 'a'+j), n, cluster.PodEndpoint)
		}
	}
	return out
}

// podObject is the pod running `cnibench server` (or, with ServerImage,
// a stock `iperf3 -s` beside an idle cnibench) for p: pinned to its node
// by required node affinity on kubernetes.io/hostname, tolerating the
// node's taints, least privilege (non-root, no privilege escalation, every
// capability dropped, read-only root, RuntimeDefault seccomp). Node
// endpoints differ only in hostNetwork, which is what they measure.
func podObject(cfg Config, p podSpec) *corev1.Pod {
	l := labels(cfg.ID)
	l[LabelEndpoint] = p.name
	l[LabelNode] = p.node
	if p.kind == cluster.NodeEndpoint {
		l[labelKind] = "node"
	} else {
		l[labelKind] = kindPod
	}
	grace := int64(1)
	yes, no := true, false
	uid := int64(RunAsUser)
	var tolerations []corev1.Toleration
	for _, t := range p.taint {
		tolerations = append(tolerations, corev1.Toleration{Key: t.Key, Operator: corev1.TolerationOpExists, Effect: t.Effect})
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: cfg.namespace(), Labels: l},
		Spec: corev1.PodSpec{
			HostNetwork:                   p.kind == cluster.NodeEndpoint,
			DNSPolicy:                     corev1.DNSDefault,
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: &grace,
			AutomountServiceAccountToken:  &no,
			EnableServiceLinks:            &no,
			Tolerations:                   tolerations,
			Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
					MatchExpressions: []corev1.NodeSelectorRequirement{{Key: hostnameLabel, Operator: corev1.NodeSelectorOpIn, Values: []string{p.node}}},
				}}},
			}},
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   &yes,
				RunAsUser:      &uid,
				RunAsGroup:     &uid,
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
		},
	}
	cnibench := corev1.Container{
		Name:            containerName,
		Image:           cfg.Image,
		ImagePullPolicy: cfg.PullPolicy,
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: &no,
			Privileged:               &no,
			ReadOnlyRootFilesystem:   &yes,
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
	if cfg.ServerImage == "" {
		cnibench.Command = []string{binaryPath, "server", "-p", strconv.Itoa(cfg.Port)}
		serves(&cnibench, cfg.Port)
		pod.Spec.Containers = []corev1.Container{cnibench}
		return pod
	}
	// A stock iperf3 serves; cnibench idles beside it in the same network
	// namespace for the client and netinfo to be exec'd in. iperf3 writes
	// its send buffer to a temporary file (mkstemp in $TMPDIR or /tmp),
	// which a read-only root cannot hold: /tmp is an emptyDir.
	cnibench.Command = []string{binaryPath, "idle"}
	iperf3 := corev1.Container{
		Name:            serverContainerName,
		Image:           cfg.ServerImage,
		ImagePullPolicy: cfg.PullPolicy,
		Command:         []string{"iperf3", "-s", "-p", strconv.Itoa(cfg.Port)},
		Env:             []corev1.EnvVar{{Name: "TMPDIR", Value: "/tmp"}},
		VolumeMounts:    []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}},
		SecurityContext: cnibench.SecurityContext,
	}
	serves(&iperf3, cfg.Port)
	pod.Spec.Containers = []corev1.Container{iperf3, cnibench}
	pod.Spec.Volumes = []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}}}
	return pod
}

// serves declares the server's port on c (TCP, and UDP for UDP tests),
// and a startup probe only: the pod is Ready once the server listens, and
// no probe connections reach it during the tests afterwards.
func serves(c *corev1.Container, port int) {
	p := int32(port)
	c.Ports = []corev1.ContainerPort{
		{Name: "iperf3", ContainerPort: p, Protocol: corev1.ProtocolTCP},
		{Name: "iperf3-udp", ContainerPort: p, Protocol: corev1.ProtocolUDP},
	}
	c.StartupProbe = &corev1.Probe{
		ProbeHandler:     corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(p)}},
		PeriodSeconds:    1,
		FailureThreshold: 120,
	}
}

// serviceObject is a Service of type typ selecting the pod named pod, on
// port for TCP and UDP (UDP tests send their data over UDP to the same
// port as the TCP control connection).
func serviceObject(cfg Config, name, pod string, typ corev1.ServiceType) *corev1.Service {
	l := labels(cfg.ID)
	l[LabelEndpoint] = pod
	port := int32(cfg.Port)
	var policy *corev1.IPFamilyPolicy
	if cfg.wantsIPv6() { // a dual-stack cluster gives both ClusterIPs; a single-stack one its own
		p := corev1.IPFamilyPolicyPreferDualStack
		policy = &p
	}
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: cfg.namespace(), Labels: l},
		Spec: corev1.ServiceSpec{
			Type:           typ,
			IPFamilyPolicy: policy,
			Selector:       map[string]string{LabelRun: cfg.ID, LabelEndpoint: pod},
			Ports: []corev1.ServicePort{
				{Name: "tcp", Protocol: corev1.ProtocolTCP, Port: port, TargetPort: intstr.FromInt32(port)},
				{Name: "udp", Protocol: corev1.ProtocolUDP, Port: port, TargetPort: intstr.FromInt32(port)},
			},
		},
	}
}
