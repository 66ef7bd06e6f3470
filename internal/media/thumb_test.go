package media

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestPosterSkipsBlackOpening(t *testing.T) {
	t.Parallel()
	r := testRunner(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "fadein.mp4")
	// Half a second of black, then picture: a naive frame-0 poster is black.
	graph := "color=c=black:s=160x90:r=25:d=0.5[a];testsrc2=s=160x90:r=25:d=1.5[b];" +
		"[a][b]concat=n=2:v=1:a=0"
	cmd := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", graph, "-c:v",
		"libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", src)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	dst := filepath.Join(dir, "poster.jpg")
	if err := r.Poster(context.Background(), src, dst, 120); err != nil {
		t.Fatal(err)
	}
	info := probe(t, r, dst)
	if info.Width != 120 || info.Height != 68 {
		t.Errorf("poster %dx%d, want 120x68", info.Width, info.Height)
	}
	px := grabGray(t, dst, 0, 120, 68)
	if m := regionDiff(px, make([]byte, len(px)), 120, 0, 0, 120, 68); m < 40 {
		t.Errorf("poster mean luma %.1f: picked a black frame", m)
	}
}

func TestContactSheet(t *testing.T) {
	t.Parallel()
	r := testRunner(t)
	dir := t.TempDir()
	src := makeClip(t, dir, "src", clipOpts{W: 160, H: 90, Dur: 2, FPS: 10})
	dst := filepath.Join(dir, "sheet.png")
	if err := r.ContactSheet(context.Background(), src, dst, 3, 2, 480); err != nil {
		t.Fatal(err)
	}
	info := probe(t, r, dst)
	// Three 160x90 cells across and two down, plus gaps, scaled to 480 wide.
	if info.Width != 480 || info.Height < 170 || info.Height > 190 {
		t.Errorf("sheet %dx%d", info.Width, info.Height)
	}
	// Every cell must hold a picture: the bottom-right one proves the sheet
	// was filled rather than cut short.
	px := grabGray(t, dst, 0, 480, info.Height)
	if m := regionDiff(px, make([]byte, len(px)), 480, 330, info.Height/2+10, 470,
		info.Height-10); m < 40 {
		t.Errorf("bottom-right cell mean luma %.1f: empty", m)
	}
}
