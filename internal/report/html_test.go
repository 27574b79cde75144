package report

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/runrecord/runrecordtest"
	"github.com/cnibench/cnibench/internal/stats"
	"github.com/cnibench/cnibench/internal/testenv"
)

// TestHTMLSelfContained checks the page needs nothing but itself: no script,
// stylesheet, font or image from anywhere, and only the SVG namespace URL.
func TestHTMLSelfContained(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, runrecordtest.Run(), HTML); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "@import", "url(", "src=", "href="} {
		if strings.Contains(page, bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
	urls := regexp.MustCompile(`https?://[^"'\s<>]+`).FindAllString(page, -1)
	for _, u := range urls {
		if u != "http://www.w3.org/2000/svg" {
			t.Errorf("the page refers to %s", u)
		}
	}
}

// TestHTMLInChromium opens the page in a real headless Chromium: the
// screenshot must show the charts (not blank, the variants' colours drawn),
// the DOM must hold every SVG, and the console must stay quiet.
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	run := runrecordtest.Run()
	dir := t.TempDir()
	page := filepath.Join(dir, "run.html")
	var buf bytes.Buffer
	if err := Render(&buf, run, HTML); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "shot.png")
	_, stderr := runChromium(t, bin, dir, "--screenshot="+shot, "--window-size=1280,2600", "file://"+page)
	consoleErrors(t, stderr)

	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, stderr)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	var inked, routed, vxlan int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			if r < 240 || g < 240 || bl < 240 {
				inked++
			}
			if near(r, g, bl, 0x4e, 0x79, 0xa7) {
				routed++
			}
			if near(r, g, bl, 0xf2, 0x8e, 0x2b) {
				vxlan++
			}
		}
	}
	total := b.Dx() * b.Dy()
	t.Logf("screenshot %dx%d: %.1f%% inked, %d routed-blue and %d vxlan-orange pixels", b.Dx(), b.Dy(), 100*float64(inked)/float64(total), routed, vxlan)
	if inked < total/20 {
		t.Errorf("the screenshot is nearly blank: %d of %d pixels inked", inked, total)
	}
	if routed < 2000 || vxlan < 2000 {
		t.Errorf("the bar chart's colours are missing: %d routed and %d vxlan pixels", routed, vxlan)
	}

	dom, stderr := runChromium(t, bin, dir, "--dump-dom", "file://"+page)
	consoleErrors(t, stderr)
	want := 4 * len(run.Protocols()) // goodput, overhead, strips and connect RTT per protocol
	for _, s := range run.Summaries {
		if s.Status != stats.StatusFailed { // and intervals of every group that measured something
			want++
		}
	}
	if got := strings.Count(dom, "<svg"); got != want {
		t.Errorf("the rendered DOM holds %d SVGs, want %d", got, want)
	}
	for _, s := range []string{`class="whisker"`, `class="floor"`, `class="dot v1"`, `class="series v0"`, "Environment"} {
		if !strings.Contains(dom, s) {
			t.Errorf("the rendered DOM lacks %s", s)
		}
	}
}

func near(r, g, b, wr, wg, wb uint32) bool {
	d := func(a, b uint32) uint32 {
		if a > b {
			return a - b
		}
		return b - a
	}
	return d(r, wr) < 12 && d(g, wg) < 12 && d(b, wb) < 12
}

func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testenv.SkipOrFail(t, "chromium not installed (apt-get install chromium)")
	return ""
}

// runChromium runs headless Chromium with a throwaway profile and no network
// chatter, returning stdout and stderr.
func runChromium(t *testing.T, bin, dir string, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	profile, err := os.MkdirTemp(dir, "profile")
	if err != nil {
		t.Fatal(err)
	}
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0"}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

// consoleErrors fails on anything the page itself logged: Chromium prints
// console messages as CONSOLE lines and script errors as "Uncaught".
func consoleErrors(t *testing.T, stderr string) {
	t.Helper()
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, "CONSOLE") || strings.Contains(line, "Uncaught") || strings.Contains(line, "Failed to load resource") {
			t.Errorf("console: %s", line)
		}
	}
}
