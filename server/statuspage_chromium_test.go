//go:build clients

package server

import (
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestStatusPageChromium renders the status page in headless Chromium and
// checks the screenshot: a real PNG of the window size, not one flat
// colour, with the batch (blue) and speed (orange) bars of the chart
// drawn. It runs in the client suite (make test-clients), which installs
// Chromium.
func TestStatusPageChromium(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("chromium is not installed")
	}
	_, conn, base := httpServer(t)
	httpFixture(t, conn)

	dir := t.TempDir()
	shot := filepath.Join(dir, "status.png")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+shot, "--window-size=1280,1600", base+"/")
	cmd.WaitDelay = 5 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	if keep := os.Getenv("LAMBDASQL_KEEP_SCREENSHOT"); keep != "" {
		if b, err := os.ReadFile(shot); err == nil {
			os.WriteFile(keep, b, 0o644)
		}
	}
	st, err := os.Stat(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if st.Size() < 20<<10 {
		t.Errorf("the screenshot is only %d bytes", st.Size())
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 1600 {
		t.Errorf("screenshot is %dx%d, want 1280x1600", b.Dx(), b.Dy())
	}
	colours := map[[3]uint8]int{}
	var batch, speed int
	forEachPixel(img, func(r, g, b uint8) {
		colours[[3]uint8{r, g, b}]++
		if near(r, g, b, 0x3b, 0x6f, 0xd4) {
			batch++
		}
		if near(r, g, b, 0xe8, 0x89, 0x1c) {
			speed++
		}
	})
	if len(colours) < 16 {
		t.Errorf("the screenshot has %d colours: a blank page?", len(colours))
	}
	// Bars are at least a few pixels wide and tens high.
	if batch < 200 || speed < 200 {
		t.Errorf("chart pixels: %d batch blue, %d speed orange; want both drawn", batch, speed)
	}
}

func forEachPixel(img image.Image, f func(r, g, b uint8)) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			f(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
		}
	}
}

func near(r, g, b, wr, wg, wb uint8) bool {
	d := func(a, b uint8) int {
		if a > b {
			return int(a - b)
		}
		return int(b - a)
	}
	return d(r, wr) <= 8 && d(g, wg) <= 8 && d(b, wb) <= 8
}
