package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestRenderScriptToVideo(t *testing.T) {
	t.Setenv("SIM_QUEUE_DELAY", "50ms")
	t.Setenv("SIM_RENDER_DELAY", "100ms")
	t.Setenv("PASSWORD_HASH_COST", "4")
	dir := t.TempDir()
	script := filepath.Join(dir, "script.md")
	if err := os.WriteFile(script, []byte("场景一：天台 夜\n镜头1 远景 2秒\n"+
		"阿杰独自站在天台边。\n阿杰：这座城市从不睡觉。\n\n镜头2 特写 2秒\n"+
		"他握紧手里的车票。\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.mp4")
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"render", script, "-o", out, "--aspect", "16:9",
		"--subtitles", "soft"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("render exited %d: %s %s", code, stdout.String(), stderr.String())
	}
	table := stdout.String()
	if !strings.Contains(table, "SHOT") || strings.Count(table, "sim") != 2 ||
		!strings.Contains(table, "succeeded") {
		t.Fatalf("summary table:\n%s", table)
	}
	if !strings.Contains(stderr.String(), "overall") {
		t.Fatalf("no progress bars on stderr: %s", stderr.String())
	}
	probe, err := exec.Command("ffprobe", "-v", "error", "-show_entries",
		"stream=codec_type,width,height", "-of", "csv=p=0", out).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := string(probe)
	if !strings.Contains(got, "video,1280,720") || !strings.Contains(got, "subtitle") {
		t.Fatalf("output streams:\n%s", got)
	}
	subs, err := exec.Command("ffmpeg", "-v", "error", "-i", out, "-map", "0:s:0", "-f", "srt",
		"-").Output()
	if err != nil || !strings.Contains(string(subs), "这座城市从不睡觉") {
		t.Fatalf("subtitles: %q %v", subs, err)
	}
}
