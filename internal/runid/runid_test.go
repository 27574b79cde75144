package runid

import (
	"regexp"
	"testing"
)

func TestNew(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9]{6}$`)
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		id := New()
		if !valid.MatchString(id) {
			t.Fatalf("ID %q: want %d lowercase letters or digits", id, Len)
		}
		seen[id] = true
	}
	if len(seen) < 99 {
		t.Errorf("%d distinct IDs in 100", len(seen))
	}
}
