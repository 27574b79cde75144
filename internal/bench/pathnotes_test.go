package bench

import (
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

func TestPathNotes(t *testing.T) {
	vxlanOut := &runrecord.Path{Datapath: "vxlan", MTU: 1450, UnderlayMTU: 1500}
	for _, tc := range []struct {
		scenario string
		path     *runrecord.Path
		code     string // "" = no note
		says     []string
	}{
		{"pod-nodeport-remote", &runrecord.Path{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50}, stats.NoteExtraHop,
			[]string{"node B", "externalTrafficPolicy Cluster", "SNAT", "twice"}},
		{"pod-nodeport-remote", nil, stats.NoteExtraHop, []string{"extra hop"}},
		{"pod-external", vxlanOut, stats.NoteNoHeaderTax, []string{"vxlan", "unencapsulated", "SNAT"}},
		{"pod-external", &runrecord.Path{Datapath: "ipip"}, stats.NoteNoHeaderTax, []string{"ipip"}},
		{"pod-external", &runrecord.Path{Datapath: "routed"}, "", nil},
		{"pod-external", &runrecord.Path{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50}, "", nil},
		{"pod-external", nil, "", nil},
		{"pod-pod-cross", &runrecord.Path{Datapath: "vxlan", Encapsulated: true}, "", nil},
	} {
		n, ok := pathNote(tc.scenario, tc.path)
		if ok != (tc.code != "") || n.Code != tc.code {
			t.Errorf("%s over %+v: note %+v, want code %q", tc.scenario, tc.path, n, tc.code)
			continue
		}
		for _, w := range tc.says {
			if !strings.Contains(n.Message, w) {
				t.Errorf("%s: note %q does not say %q", tc.scenario, n.Message, w)
			}
		}
	}
}

// TestPathNotesGoFirst: a row's last warning explains a missing overhead
// (the report shows it), so the note goes before the others.
func TestPathNotesGoFirst(t *testing.T) {
	rec := &runrecord.Run{
		Paths: []runrecord.PathRecord{{Scenario: "pod-external", Path: runrecord.Path{Datapath: "vxlan"}}},
		Summaries: []stats.Summary{
			{Key: stats.Key{Scenario: "pod-external", Protocol: stats.TCP}, Warnings: []stats.Warning{{Code: stats.WarnBaselineFailed}}},
			{Key: stats.Key{Scenario: "pod-nodeport-remote", Protocol: stats.UDP}},
			{Key: stats.Key{Scenario: "node-node", Protocol: stats.TCP}},
		},
	}
	addPathNotes(rec)
	var got []string
	for _, s := range rec.Summaries {
		var codes []string
		for _, w := range s.Warnings {
			codes = append(codes, w.Code)
		}
		got = append(got, strings.Join(codes, ","))
	}
	want := []string{"no-header-tax,baseline-failed", "extra-hop", ""}
	if strings.Join(got, ";") != strings.Join(want, ";") {
		t.Errorf("codes %q, want %q", got, want)
	}
}
