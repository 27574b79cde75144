//go:build e2e

package kube

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/cluster/kube"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runid"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// TestKubeRBACNamespaced runs as a ServiceAccount given only
// deploy/rbac-namespaced.yaml (its Role in one existing namespace, its
// read-only ClusterRole): the run works in that namespace, deletes every
// pod and Service it made and nothing else, and the namespace stays;
// cleanup -n removes a killed run's pods the same way.
func TestKubeRBACNamespaced(t *testing.T) {
	c, cfg := setup(t, modes()[0])
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ns := givenNamespace(ctx, t, c.Client)
	cs, rc := tokenClient(ctx, t, c.Client, c.Config, namespacedServiceAccount(ctx, t, c.Client, ns))
	if _, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
		t.Errorf("the Role's namespaces get does not reach the namespace: %v", err)
	}
	before := objectsIn(ctx, t, c.Client, ns)

	ucfg := cfg
	ucfg.Client, ucfg.REST, ucfg.ID, ucfg.Namespace = cs, rc, runid.New(), ns
	kc, err := kube.New(ctx, ucfg)
	if err != nil {
		t.Fatalf("as a user given deploy/rbac-namespaced.yaml in %s: %v", ns, err)
	}
	plan := bench.Plan{Scenarios: []string{"node-node", "pod-clusterip"}, Protocols: []engine.Protocol{engine.TCP}, Duration: time.Second, Repeats: 1}
	run, err := bench.Run(ctx, kc, plan, nil)
	if cerr := kc.Close(context.Background()); cerr != nil {
		t.Errorf("close as the user: %v", cerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range run.Samples {
		if s.Error != "" {
			t.Errorf("%s: %s", s.Scenario, s.Error)
		}
	}
	if after := objectsIn(ctx, t, c.Client, ns); after != before {
		t.Errorf("after the run namespace %s holds %s, before it held %s", ns, after, before)
	}

	// A killed run: its pods stay until cleanup -n.
	ucfg.ID = runid.New()
	if _, err := kube.New(ctx, ucfg); err != nil {
		t.Fatal(err)
	}
	found, err := kube.CleanupNamespace(ctx, cs, ns, 0, false, time.Now())
	if err != nil || len(found) != 1 || found[0].Run != ucfg.ID || found[0].Objects != 6 {
		t.Errorf("cleanup -n %s as the user: %+v, %v; want run %s with its 6 pods", ns, found, err, ucfg.ID)
	}
	if after := objectsIn(ctx, t, c.Client, ns); after != before {
		t.Errorf("after cleanup namespace %s holds %s, before it held %s", ns, after, before)
	}
}

// givenNamespace is a namespace such as an administrator hands out:
// labelled for hostNetwork pods, holding someone's Service and ConfigMap
// and a Service labelled managed-by=cnibench without a run; deleted when
// the test ends.
func givenNamespace(ctx context.Context, t *testing.T, admin kubernetes.Interface) string {
	t.Helper()
	ns := "e2e-given-" + runid.New()
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
		Labels: map[string]string{kube.LabelPodSecurity: "privileged"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.DeleteNamespace(context.Background(), admin, ns) })
	port := []corev1.ServicePort{{Port: 80}}
	for _, s := range []*corev1.Service{
		{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.ServiceSpec{Ports: port}},
		{ObjectMeta: metav1.ObjectMeta{Name: "half-ours", Labels: map[string]string{kube.LabelManagedBy: kube.ManagedBy}}, Spec: corev1.ServiceSpec{Ports: port}},
	} {
		if _, err := admin.CoreV1().Services(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return ns
}

// objectsIn lists the pods, Services and ConfigMaps of ns by name
// (without the ConfigMap the cluster puts in every namespace).
func objectsIn(ctx context.Context, t *testing.T, cs kubernetes.Interface, ns string) string {
	t.Helper()
	var b bytes.Buffer
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		b.WriteString("pod/" + p.Name + " ")
	}
	svcs, _ := cs.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	for _, s := range svcs.Items {
		b.WriteString("service/" + s.Name + " ")
	}
	cms, _ := cs.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	for _, c := range cms.Items {
		if c.Name != "kube-root-ca.crt" {
			b.WriteString("configmap/" + c.Name + " ")
		}
	}
	return b.String()
}

// namespacedServiceAccount makes a ServiceAccount in saNamespace given
// deploy/rbac-namespaced.yaml: its Role in ns by a RoleBinding, its
// ClusterRole by a ClusterRoleBinding; removed when the test ends.
func namespacedServiceAccount(ctx context.Context, t *testing.T, admin kubernetes.Interface, ns string) string {
	t.Helper()
	role, clusterRole := namespacedRoles(t)
	name := "cnibench-e2e-" + runid.New()
	t.Cleanup(func() {
		bg := context.Background()
		_ = admin.RbacV1().ClusterRoleBindings().Delete(bg, name, metav1.DeleteOptions{})
		_ = admin.RbacV1().ClusterRoles().Delete(bg, name, metav1.DeleteOptions{})
		_ = admin.CoreV1().ServiceAccounts(saNamespace).Delete(bg, name, metav1.DeleteOptions{})
	})
	subject := []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: saNamespace}}
	steps := []func() error{
		func() error {
			_, err := admin.CoreV1().ServiceAccounts(saNamespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: role.Rules}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := admin.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name}, Subjects: subject}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: clusterRole.Rules}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}, Subjects: subject}, metav1.CreateOptions{})
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	return name
}

// namespacedRoles are the Role and ClusterRole that
// deploy/rbac-namespaced.yaml ships.
func namespacedRoles(t *testing.T) (rbacv1.Role, rbacv1.ClusterRole) {
	t.Helper()
	b, err := os.ReadFile("../../../deploy/rbac-namespaced.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.Role
	var clusterRole rbacv1.ClusterRole
	for _, doc := range bytes.Split(b, []byte("\n---\n")) {
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatal(err)
		}
		switch meta.Kind {
		case "Role":
			err = yaml.Unmarshal(doc, &role)
		case "ClusterRole":
			err = yaml.Unmarshal(doc, &clusterRole)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(role.Rules) == 0 || len(clusterRole.Rules) == 0 {
		t.Fatal("deploy/rbac-namespaced.yaml lacks its Role or ClusterRole")
	}
	return role, clusterRole
}
