package kube

import (
	"fmt"
	"strconv"

	"github.com/cnibench/cnibench/internal/cluster"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
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
	node  string // the node it is pinned to
	kind  cluster.EndpointKind
	taint []corev1.Taint // the node's taints, tolerated
}

// endpointName is the cluster.Endpoint name of a pod: node endpoints are
// named after their node (as --nodes names them), pods after the pod.
func (p podSpec) endpointName() string {
	if p.kind == cluster.NodeEndpoint {
		return p.node
	}
	return p.name
}

// podNames lists the pods for the node pair: on node i (1, 2) a
// hostNetwork pod host-i and pods pod-ia, pod-ib, ...
func podNames(nodes [2]string, perNode int) []podSpec {
	var out []podSpec
	for i, n := range nodes {
		out = append(out, podSpec{name: fmt.Sprintf("host-%d", i+1), node: n, kind: cluster.NodeEndpoint})
	}
	for i, n := range nodes {
		for j := 0; j < perNode; j++ {
			out = append(out, podSpec{name: fmt.Sprintf("pod-%d%c", i+1, 'a'+j), node: n, kind: cluster.PodEndpoint})
		}
	}
	return out
}

// podObject is the pod running `cnibench server` for p: pinned to its
// node by required node affinity on kubernetes.io/hostname, tolerating the
// node's taints, least privilege (non-root, no privilege escalation, every
// capability dropped, read-only root, RuntimeDefault seccomp). Node
// endpoints differ only in hostNetwork, which is what they measure.
func podObject(cfg Config, p podSpec) *corev1.Pod {
	l := labels(cfg.ID)
	l[LabelEndpoint] = p.name
	l[LabelNode] = p.node
	if p.kind == cluster.NodeEndpoint {
		l["cnibench.io/kind"] = "node"
	} else {
		l["cnibench.io/kind"] = "pod"
	}
	grace := int64(1)
	yes, no := true, false
	uid := int64(RunAsUser)
	port := int32(cfg.Port)
	var tolerations []corev1.Toleration
	for _, t := range p.taint {
		tolerations = append(tolerations, corev1.Toleration{Key: t.Key, Operator: corev1.TolerationOpExists, Effect: t.Effect})
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: Namespace(cfg.ID), Labels: l},
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
			Containers: []corev1.Container{{
				Name:            containerName,
				Image:           cfg.Image,
				ImagePullPolicy: cfg.PullPolicy,
				Command:         []string{binaryPath, "server", "-p", strconv.Itoa(cfg.Port)},
				Ports: []corev1.ContainerPort{
					{Name: "iperf3", ContainerPort: port, Protocol: corev1.ProtocolTCP},
					{Name: "iperf3-udp", ContainerPort: port, Protocol: corev1.ProtocolUDP},
				},
				// A startup probe only: Ready once the server listens, and
				// no probe connections during the tests afterwards.
				StartupProbe: &corev1.Probe{
					ProbeHandler:     corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(port)}},
					PeriodSeconds:    1,
					FailureThreshold: 120,
				},
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: &no,
					Privileged:               &no,
					ReadOnlyRootFilesystem:   &yes,
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}},
		},
	}
}

// serviceObject is a Service of type typ selecting the pod named pod, on
// port for TCP and UDP (UDP tests send their data over UDP to the same
// port as the TCP control connection).
func serviceObject(cfg Config, name, pod string, typ corev1.ServiceType) *corev1.Service {
	l := labels(cfg.ID)
	l[LabelEndpoint] = pod
	port := int32(cfg.Port)
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: Namespace(cfg.ID), Labels: l},
		Spec: corev1.ServiceSpec{
			Type:     typ,
			Selector: map[string]string{LabelRun: cfg.ID, LabelEndpoint: pod},
			Ports: []corev1.ServicePort{
				{Name: "tcp", Protocol: corev1.ProtocolTCP, Port: port, TargetPort: intstr.FromInt32(port)},
				{Name: "udp", Protocol: corev1.ProtocolUDP, Port: port, TargetPort: intstr.FromInt32(port)},
			},
		},
	}
}
