package envfile

import (
	"maps"
	"os"
	"path/filepath"
	"testing"
)

func TestRead(t *testing.T) {
	p := filepath.Join(t.TempDir(), "subnet.env")
	if err := os.WriteFile(p, []byte("FLANNEL_NETWORK=198.19.0.0/16\n  FLANNEL_MTU=1450  \n# comment\n\nFLANNEL_IPMASQ=true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Read(p)
	want := map[string]string{"FLANNEL_NETWORK": "198.19.0.0/16", "FLANNEL_MTU": "1450", "FLANNEL_IPMASQ": "true"}
	if err != nil || !maps.Equal(got, want) {
		t.Errorf("Read: %v, %v; want %v", got, err, want)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing file: no error")
	}
}
