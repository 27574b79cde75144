package kube

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestCleanup(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ns := func(name string, labels map[string]string, age time.Duration) *corev1.Namespace {
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, CreationTimestamp: metav1.NewTime(now.Add(-age))}}
	}
	cs := fake.NewClientset(
		ns("cnibench-old", labels("old"), 2*time.Hour),
		ns("cnibench-new", labels("new"), time.Minute),
		ns("cnibench-theirs", map[string]string{"team": "x"}, 5*time.Hour),       // not labelled by us
		ns("default", map[string]string{LabelManagedBy: ManagedBy}, 9*time.Hour), // not our name
	)
	ctx := context.Background()
	found, err := Cleanup(ctx, cs, time.Hour, true, now)
	if err != nil || len(found) != 1 || found[0].Namespace != "cnibench-old" || found[0].Run != "old" {
		t.Fatalf("dry run: %+v, %v", found, err)
	}
	if _, err := cs.CoreV1().Namespaces().Get(ctx, "cnibench-old", metav1.GetOptions{}); err != nil {
		t.Fatalf("dry run deleted: %v", err)
	}
	if _, err := Cleanup(ctx, cs, 0, false, now, "new", "nosuch"); err == nil || err.Error() != "run nosuch not found: the runs with a namespace left are new, old" {
		t.Fatalf("an unknown run: %v", err)
	}
	found, err = Cleanup(ctx, cs, 0, true, now, "new")
	if err != nil || len(found) != 1 || found[0].Run != "new" {
		t.Fatalf("one run named: %+v, %v", found, err)
	}
	found, err = Cleanup(ctx, cs, 0, false, now)
	if err != nil || len(found) != 2 {
		t.Fatalf("cleanup: %+v, %v", found, err)
	}
	list, _ := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if len(list.Items) != 2 {
		t.Errorf("left %d namespaces, want the 2 not ours", len(list.Items))
	}
}
