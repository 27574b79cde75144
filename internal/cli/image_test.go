package cli

import (
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// staticBinary builds a tiny static program: image push packs any static
// binary of the arch given, and cnibench itself takes long to build
// (internal/image's tests pack the real one).
func staticBinary(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for f, text := range map[string]string{"go.mod": "module tiny\n\ngo 1.22\n", "main.go": "package main\n\nfunc main() {}\n"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "build", "-o", "tiny", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH, "GOWORK=off", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return filepath.Join(dir, "tiny")
}

// TestImagePush pushes to a registry on loopback and prints the digest
// the registry then serves.
func TestImagePush(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // anonymous: no one's credentials
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/cnibench:test"
	bin := staticBinary(t)

	out, errOut, err := runCommand(t, newImageCommand, "push", ref, "--binary", bin, "--insecure")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if want := "pushed " + ref + " (image linux/" + runtime.GOARCH + ")"; !strings.Contains(errOut, want) {
		t.Errorf("stderr %q lacks %q", errOut, want)
	}
	pushed, err := name.NewDigest(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("stdout %q is not a digest reference: %v", out, err)
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(tag)
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest.String() != pushed.DigestStr() || pushed.Context() != tag.Context() {
		t.Errorf("pushed %s, the registry serves %s@%s", pushed, tag, desc.Digest)
	}
}

func TestImageFlagErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.tar")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"push", "a", "b"}, "accepts at most 1 arg"},
		{[]string{"push", "127.0.0.1:1/cnibench:x", "--binary", "x", "--arch", "amd64,arm64"}, "a --binary is of one arch, not amd64,arm64"},
		{[]string{"push", "127.0.0.1:1/cnibench:x", "--arch", "x86"}, `unknown arch "x86"`},
		{[]string{"push", "Not/A:Ref:x"}, "image reference"},
		{[]string{"build", "--file", out, "--arch", "amd64,arm64"}, "an image tarball holds one arch"},
		{[]string{"build", "-o", out, "--arch", "amd64,arm64"}, "an image tarball holds one arch"}, // -o FILE: deprecated, still read
		{[]string{"build"}, "--file FILE is required"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, _, err := runCommand(t, newImageCommand, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
