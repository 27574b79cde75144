package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster/kube"
)

// TestInFlagWords: the kube backend's errors about its settings reach the
// user in the words of run's flags, wrapped or joined, and stay typed.
func TestInFlagWords(t *testing.T) {
	_, badToleration := kube.ParseToleration("gpu:Never")
	noPair := &kube.NoPairError{Qualified: 1, Total: 3, Excluded: []string{"a: tainted node-role.kubernetes.io/control-plane:NoSchedule", "c: not Ready"}}
	plain := errors.New("list nodes: connection refused")
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"toleration", badToleration, `--toleration "gpu:Never": effect "Never": use NoSchedule, PreferNoSchedule or NoExecute (KEY[=VALUE][:EFFECT])`},
		{"no pair", noPair, "choose nodes: need two Ready, schedulable, untainted nodes of the same OS/arch; 1 of 3 qualify " +
			"(a: tainted node-role.kubernetes.io/control-plane:NoSchedule; c: not Ready): name two with --nodes A,B to use tainted ones, " +
			"or tolerate their taints with --toleration KEY[=VALUE]:EFFECT, or allow control-plane nodes with --tolerate-control-plane"},
		{"no pair, control plane tolerated", &kube.NoPairError{Qualified: 0, Total: 2, ControlPlaneTolerated: true},
			"choose nodes: need two Ready, schedulable, untainted nodes of the same OS/arch; 0 of 2 qualify: " +
				"name two with --nodes A,B to use tainted ones, or tolerate their taints with --toleration KEY[=VALUE]:EFFECT"},
		{"wrapped and joined", fmt.Errorf("kube: %w", errors.Join(
			&kube.SettingError{Setting: kube.SettingImage, Err: errors.New("none given")},
			&kube.SettingError{Setting: kube.SettingNodes, Value: "a,b,c", Err: errors.New("give two nodes, A,B")})),
			"kube: --image: none given\n--nodes \"a,b,c\": give two nodes, A,B"},
		{"unknown node", &kube.SettingError{Setting: kube.SettingNodes, Err: errors.New(`no node "node-9": the cluster has node-1, node-2`)},
			`--nodes: no node "node-9": the cluster has node-1, node-2`},
		{"missing namespace", &kube.SettingError{Setting: kube.SettingNamespace, Err: errors.New(`namespaces "nosuch" not found`)},
			`--namespace: namespaces "nosuch" not found`},
		{"other errors as they are", plain, plain.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := inFlagWords(tc.err)
			if got.Error() != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			if !errors.Is(got, tc.err) {
				t.Errorf("the reworded error lost its chain: %#v", got)
			}
		})
	}
}
