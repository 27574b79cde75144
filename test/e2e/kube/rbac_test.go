//go:build e2e

package kube

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/cluster/kube"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runid"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// TestKubeRBAC runs as a ServiceAccount bound only to deploy/rbac.yaml's
// ClusterRole: the run works; without the services rule, the Service
// scenario fails with an error naming the refused verb, resource and
// namespace, and the namespace is still removed.
func TestKubeRBAC(t *testing.T) {
	c, cfg := setup(t, modes()[0])
	role := documentedRole(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	full := role.Rules
	noServices := slices.DeleteFunc(slices.Clone(full), func(r rbacv1.PolicyRule) bool { return slices.Contains(r.Resources, "services") })
	for _, tc := range []struct {
		name  string
		rules []rbacv1.PolicyRule
		want  []string // in the pod-clusterip samples' error; nil = success
	}{
		{"documented role", full, nil},
		{"without services", noServices, []string{`cannot create resource "services"`, "in the namespace \"cnibench-", "deploy/rbac.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, rc := boundClient(ctx, t, c.Client, c.Config, tc.rules)
			ucfg := cfg
			ucfg.Client, ucfg.REST, ucfg.ID = cs, rc, runid.New()
			kc, err := kube.New(ctx, ucfg)
			if err != nil {
				t.Fatalf("as a user bound to deploy/rbac.yaml: %v", err)
			}
			plan := bench.Plan{Scenarios: []string{"node-node", "pod-clusterip"}, Protocols: []engine.Protocol{engine.TCP}, Duration: time.Second, Repeats: 1}
			run, err := bench.Run(ctx, kc, plan, nil)
			if cerr := kc.Close(context.Background()); cerr != nil {
				t.Errorf("close as the user: %v", cerr)
			}
			checkGone(t, c.Client, kc.Namespace())
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range run.Samples {
				switch {
				case tc.want == nil && s.Error != "":
					t.Errorf("%s: %s", s.Scenario, s.Error)
				case tc.want != nil && s.Scenario == "pod-clusterip":
					for _, w := range tc.want {
						if !strings.Contains(s.Error, w) {
							t.Errorf("%s error %q lacks %q", s.Scenario, s.Error, w)
						}
					}
					t.Logf("refused as expected: %s", s.Error)
				}
			}
		})
	}
}

// documentedRole is the ClusterRole that deploy/rbac.yaml ships.
func documentedRole(t *testing.T) rbacv1.ClusterRole {
	t.Helper()
	b, err := os.ReadFile("../../../deploy/rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.Unmarshal(b, &role); err != nil {
		t.Fatal(err)
	}
	return role
}

// boundClient makes a ServiceAccount bound to a ClusterRole with rules
// only, and returns a client authenticated as it.
func boundClient(ctx context.Context, t *testing.T, admin kubernetes.Interface, adminCfg *rest.Config, rules []rbacv1.PolicyRule) (kubernetes.Interface, *rest.Config) {
	t.Helper()
	return tokenClient(ctx, t, admin, adminCfg, boundServiceAccount(ctx, t, admin, rules))
}

// tokenClient is a client authenticated as ServiceAccount name of
// saNamespace, with a token of its own.
func tokenClient(ctx context.Context, t *testing.T, admin kubernetes.Interface, adminCfg *rest.Config, name string) (kubernetes.Interface, *rest.Config) {
	t.Helper()
	exp := int64(600)
	tok, err := admin.CoreV1().ServiceAccounts(saNamespace).CreateToken(ctx, name, &authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rc := rest.AnonymousClientConfig(adminCfg)
	rc.BearerToken = tok.Status.Token
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return cs, rc
}

// saNamespace holds the tests' ServiceAccounts.
const saNamespace = "default"

// boundServiceAccount makes a ServiceAccount in saNamespace bound to a
// ClusterRole with rules only, removed when the test ends, and returns
// its name.
func boundServiceAccount(ctx context.Context, t *testing.T, admin kubernetes.Interface, rules []rbacv1.PolicyRule) string {
	t.Helper()
	name := "cnibench-e2e-" + runid.New()
	const ns = saNamespace
	cleanup := func() {
		bg := context.Background()
		_ = admin.RbacV1().ClusterRoleBindings().Delete(bg, name, metav1.DeleteOptions{})
		_ = admin.RbacV1().ClusterRoles().Delete(bg, name, metav1.DeleteOptions{})
		_ = admin.CoreV1().ServiceAccounts(ns).Delete(bg, name, metav1.DeleteOptions{})
	}
	t.Cleanup(cleanup)
	if _, err := admin.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: ns}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return name
}
