package kube

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"
)

const givenNS = "team-a"

// theirs are objects in the given namespace that a run must leave alone:
// someone's pod, a ConfigMap, and another run's Service.
func theirs(now time.Time) []runtime.Object {
	meta := func(name string, l map[string]string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: givenNS, Labels: l, CreationTimestamp: metav1.NewTime(now.Add(-3 * time.Hour))}
	}
	return []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: givenNS}},
		&corev1.Pod{ObjectMeta: meta("app", map[string]string{"app": "web"})},
		&corev1.Pod{ObjectMeta: meta("half-ours", map[string]string{LabelManagedBy: ManagedBy})}, // no run label
		&corev1.ConfigMap{ObjectMeta: meta("settings", labels(testID))},                          // not a kind runs create
		&corev1.Service{ObjectMeta: meta("cnibench-other-pod-2a", labels("other"))},
	}
}

// names are the names of the pods, Services and ConfigMaps in the given
// namespace.
func names(t *testing.T, f *fakeCluster) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	pods, err := f.cs.CoreV1().Pods(givenNS).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		out = append(out, "pod/"+p.Name)
	}
	svcs, _ := f.cs.CoreV1().Services(givenNS).List(ctx, metav1.ListOptions{})
	for _, s := range svcs.Items {
		out = append(out, "service/"+s.Name)
	}
	cms, _ := f.cs.CoreV1().ConfigMaps(givenNS).List(ctx, metav1.ListOptions{})
	for _, c := range cms.Items {
		out = append(out, "configmap/"+c.Name)
	}
	slices.Sort(out)
	return out
}

// TestRunInGivenNamespace: a run in a namespace it was given creates no
// namespace, prefixes its objects with its run ID, and Close deletes them
// and nothing else: not the namespace, not objects without its labels.
func TestRunInGivenNamespace(t *testing.T) {
	f := newFake(t, append(twoNodes(), theirs(time.Now())...)...)
	before := names(t, f)
	cfg := f.config()
	cfg.Namespace = givenNS
	ctx := context.Background()
	c, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	eps, _ := c.Endpoints(ctx)
	if c.Namespace() != givenNS || eps[0].Name != "node-1" || eps[2].Name != "pod-1a" {
		t.Errorf("namespace %s, endpoints %s, %s: want %s, node-1, pod-1a", c.Namespace(), eps[0].Name, eps[2].Name, givenNS)
	}
	srv, err := c.StartServer(ctx, eps[4], 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Expose(ctx, srv); err != nil {
		t.Fatal(err)
	}
	during := names(t, f)
	for _, want := range []string{"pod/cnibench-" + testID + "-host-1", "pod/cnibench-" + testID + "-pod-2b", "service/cnibench-" + testID + "-pod-2a-np"} {
		if !slices.Contains(during, want) {
			t.Errorf("no %s among %v", want, during)
		}
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if after := names(t, f); !slices.Equal(after, before) {
		t.Errorf("after the run the namespace holds\n%v\nbefore it held\n%v", after, before)
	}
	for _, a := range f.cs.Actions() {
		if a.GetResource().Resource == "namespaces" && a.GetVerb() != "get" {
			t.Errorf("the run did %s on namespaces", a.GetVerb())
		}
	}
	nss, _ := f.cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if len(nss.Items) != 1 || nss.Items[0].Name != givenNS {
		t.Errorf("namespaces after the run: %v", nss.Items)
	}
}

func TestGivenNamespaceMissing(t *testing.T) {
	f := newFake(t, twoNodes()...)
	cfg := f.config()
	cfg.Namespace = "nosuch"
	_, err := New(context.Background(), cfg)
	var se *SettingError
	if err == nil || !strings.Contains(err.Error(), `namespaces "nosuch" not found`) || !errors.As(err, &se) || se.Setting != SettingNamespace {
		t.Fatalf("error %v, want namespaces \"nosuch\" not found as a namespace SettingError", err)
	}
	for _, a := range f.cs.Actions() {
		if a.GetVerb() == "create" {
			t.Errorf("created %s for a missing namespace", a.GetResource().Resource)
		}
	}
}

// TestGivenNamespaceUnreadable: a Role in the namespace may not let the
// user read the namespace object; the run goes on.
func TestGivenNamespaceUnreadable(t *testing.T) {
	f := newFake(t, append(twoNodes(), theirs(time.Now())...)...)
	f.cs.PrependReactor("get", "namespaces", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, givenNS, nil)
	})
	cfg := f.config()
	cfg.Namespace = givenNS
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestCleanupNamespace(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	obj := func(name, run string, age time.Duration) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: givenNS, Labels: labels(run), CreationTimestamp: metav1.NewTime(now.Add(-age))}
	}
	objs := append(theirs(now),
		&corev1.Pod{ObjectMeta: obj("cnibench-old-host-1", "old", 2*time.Hour)},
		&corev1.Service{ObjectMeta: obj("cnibench-old-pod-2a", "old", time.Hour)},
		&corev1.Pod{ObjectMeta: obj("cnibench-new-host-1", "new", time.Minute)},
	)
	f := newFake(t, objs...)
	ctx := context.Background()
	found, err := CleanupNamespace(ctx, f.cs, givenNS, 0, true, now)
	if err != nil || len(found) != 3 || found[1].Run != "old" || found[1].Objects != 2 || found[1].Age != 2*time.Hour || found[2].Run != "other" {
		t.Fatalf("dry run: %+v, %v", found, err)
	}
	before := names(t, f)
	found, err = CleanupNamespace(ctx, f.cs, givenNS, 90*time.Minute, false, now)
	if err != nil || len(found) != 2 || found[0].Run != "old" || found[1].Run != "other" {
		t.Fatalf("cleanup: %+v, %v", found, err)
	}
	want := slices.DeleteFunc(before, func(n string) bool {
		return strings.HasPrefix(n, "pod/cnibench-old-") || strings.HasPrefix(n, "service/cnibench-old-") || strings.HasPrefix(n, "service/cnibench-other-")
	})
	if after := names(t, f); !slices.Equal(after, want) {
		t.Errorf("left %v, want %v", after, want)
	}
	if _, err := f.cs.CoreV1().Namespaces().Get(ctx, givenNS, metav1.GetOptions{}); err != nil {
		t.Errorf("the namespace: %v", err)
	}
}
