package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Flannel runs the way kube-flannel.yml runs it: a DaemonSet
// kube-flannel-ds in namespace kube-flannel, host network, NET_ADMIN and
// NET_RAW, its net-conf.json from the ConfigMap kube-flannel-cfg, the
// subnet file in /run/flannel. The differences: the image is ours (a
// static flanneld; the host's /usr and /etc/alternatives mounted read-only
// for iptables and nft), the subnet file's host directory is per node
// (nodes share this machine's file system), the apiserver is named directly
// (no dependence on kube-proxy) and the CNI configuration is written by the
// harness, not by an init container.
const (
	FlannelNamespace = "kube-flannel"
	FlannelDaemonSet = "kube-flannel-ds"
	FlannelImage     = "cnibench.invalid/e2e/flannel:1"
	flanneldPath     = "/opt/bin/flanneld"
)

// flannelSubnetFile is where node i's flanneld writes its subnet file.
func (p paths) flannelSubnetFile(i int) string {
	return p.join("flannel", NodeName(i), "subnet.env")
}

// deployFlannel creates kube-flannel's objects for a backend type, with
// IPv6 when dual.
func deployFlannel(ctx context.Context, cs kubernetes.Interface, p paths, backend string, dual bool) error {
	netConf, err := flannelNetConf(backend, dual)
	if err != nil {
		return err
	}
	labels := map[string]string{"app": "flannel", "tier": "node", "k8s-app": "flannel"}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: FlannelNamespace, Labels: map[string]string{"pod-security.kubernetes.io/enforce": "privileged"}}}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "flannel", Namespace: FlannelNamespace}}
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "flannel"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}},
			{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{""}, Resources: []string{"nodes/status"}, Verbs: []string{"patch"}},
		},
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "flannel"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "flannel"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "flannel", Namespace: FlannelNamespace}},
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-flannel-cfg", Namespace: FlannelNamespace, Labels: labels},
		Data:       map[string]string{"net-conf.json": string(netConf)},
	}
	field := func(path string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}
	}
	hostPath := func(path string, t corev1.HostPathType) corev1.VolumeSource {
		return corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path, Type: &t}}
	}
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: FlannelDaemonSet, Namespace: FlannelNamespace, Labels: labels},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "flannel"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					HostNetwork:        true,
					PriorityClassName:  "system-node-critical",
					ServiceAccountName: "flannel",
					Tolerations:        []corev1.Toleration{{Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
					Containers: []corev1.Container{{
						Name:            "kube-flannel",
						Image:           FlannelImage,
						ImagePullPolicy: corev1.PullNever,
						Command:         []string{flanneldPath, "--ip-masq", "--kube-subnet-mgr", "--iface=" + nodeIfName},
						Env: []corev1.EnvVar{
							{Name: "POD_NAME", ValueFrom: field("metadata.name")},
							{Name: "POD_NAMESPACE", ValueFrom: field("metadata.namespace")},
							{Name: "NODE_NAME", ValueFrom: field("spec.nodeName")},
							{Name: "EVENT_QUEUE_DEPTH", Value: "5000"},
							{Name: "KUBERNETES_SERVICE_HOST", Value: ControlPlaneIP.String()},
							{Name: "KUBERNETES_SERVICE_PORT", Value: strconv.Itoa(APIServerPort)},
							{Name: "PATH", Value: "/opt/bin:/usr/sbin:/usr/bin"},
						},
						SecurityContext: &corev1.SecurityContext{
							Privileged:   new(bool),
							Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN", "NET_RAW"}},
						},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "run", MountPath: "/run/flannel", SubPathExpr: "$(NODE_NAME)"},
							{Name: "flannel-cfg", MountPath: "/etc/kube-flannel/"},
							{Name: "usr", MountPath: "/usr", ReadOnly: true},
							{Name: "alternatives", MountPath: "/etc/alternatives", ReadOnly: true},
						},
					}},
					Volumes: []corev1.Volume{
						{Name: "run", VolumeSource: hostPath(filepath.Dir(filepath.Dir(p.flannelSubnetFile(1))), corev1.HostPathDirectoryOrCreate)},
						{Name: "flannel-cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-flannel-cfg"}}}},
						{Name: "usr", VolumeSource: hostPath("/usr", corev1.HostPathDirectory)},
						{Name: "alternatives", VolumeSource: hostPath("/etc/alternatives", corev1.HostPathDirectory)},
					},
				},
			},
		},
	}
	c := metav1.CreateOptions{}
	steps := []struct {
		what string
		fn   func() error
	}{
		{"namespace", func() error { _, err := cs.CoreV1().Namespaces().Create(ctx, ns, c); return err }},
		{"service account", func() error { _, err := cs.CoreV1().ServiceAccounts(FlannelNamespace).Create(ctx, sa, c); return err }},
		{"cluster role", func() error { _, err := cs.RbacV1().ClusterRoles().Create(ctx, role, c); return err }},
		{"cluster role binding", func() error { _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, c); return err }},
		{"config map", func() error { _, err := cs.CoreV1().ConfigMaps(FlannelNamespace).Create(ctx, cm, c); return err }},
		{"daemon set", func() error { _, err := cs.AppsV1().DaemonSets(FlannelNamespace).Create(ctx, ds, c); return err }},
	}
	for _, s := range steps {
		if err := s.fn(); err != nil {
			return fmt.Errorf("create flannel %s: %w", s.what, err)
		}
	}
	return nil
}
