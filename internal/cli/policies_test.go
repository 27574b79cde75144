package cli

import (
	"strings"
	"testing"
)

func TestPoliciesDryRun(t *testing.T) {
	tests := []struct {
		args    []string
		want    []string // in the plan
		wantErr string
	}{
		{[]string{"--policies", "0,100"}, []string{"policies=0 ", "policies=100 ", "2 variant(s)"}, ""},
		{[]string{"--policies", "0..1000x10"}, []string{"policies=10 ", "policies=1000 ", "4 variant(s)"}, ""},
		{[]string{"--policies", "0,-5"}, nil, "--policies -5: use 0..10000"},
		{[]string{"--policies", "20000"}, nil, "--policies 20000: use 0..10000"},
		{[]string{"--policies", "some"}, nil, "is not a whole number"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append([]string{"--dry-run", "--cluster", "kube", "--scenarios", "pod-pod-cross", "--repeats", "1"}, tc.args...)
			out, _, err := runCommand(t, newRunCommand, args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("the plan does not say %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestMeshRefusesPolicies(t *testing.T) {
	_, _, err := runCommand(t, newMeshCommand, "--dry-run", "--cluster", "kube", "--policies", "0,10")
	if err == nil || !strings.Contains(err.Error(), "cnibench run --cluster kube --policies") {
		t.Fatalf("mesh --policies: %v, want a refusal naming cnibench run", err)
	}
}
