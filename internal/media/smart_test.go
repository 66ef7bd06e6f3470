package media

import (
	"bytes"
	"context"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAssembleSmartTransitions joins clips with frequent key frames and
// B-frames: the bodies must be copied (decoded frames identical to the
// clips'), only the cuts re-encoded, and the result must decode cleanly.
func TestAssembleSmartTransitions(t *testing.T) {
	t.Parallel()
	base := testRunner(t)
	var logs bytes.Buffer
	r := *base
	r.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	dir := t.TempDir()
	var clips []string
	for i, f := range []int{300, 500, 700} {
		clips = append(clips, makeClip(t, dir, "k"+string(rune('a'+i)), clipOpts{W: 160,
			H: 90, Dur: 2, FPS: 25, Audio: true, Freq: f, Preset: "veryfast", GOP: 12}))
	}
	out := filepath.Join(dir, "smart.mp4")
	spec := AssembleSpec{Clips: clips, Output: out, Preset: "ultrafast",
		Transition: Transition{Type: "fade", Duration: 320 * time.Millisecond}}
	if err := r.Assemble(context.Background(), spec, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "smart render") {
		t.Fatalf("smart path not taken; log:\n%s", logs.String())
	}
	info := probe(t, &r, out)
	if !near(info.Duration, 5360*time.Millisecond, 80*time.Millisecond) || !info.HasAudio {
		t.Errorf("smart: %+v, want 5.36s with audio", info)
	}
	got := frameHashes(t, out)
	// 3x50 frames minus two 8-frame overlaps.
	if len(got) != 134 {
		t.Errorf("smart: %d frames, want 134", len(got))
	}
	// Key frames every 12 frames: clip a's body is frames 0-35 (cut at the
	// key frame 1.44s, the last one before 2s-0.32s), re-encoded 36-53,
	// then clip b's body from its key frame at 0.48s (frame 12) to 1.44s.
	a, b := frameHashes(t, clips[0]), frameHashes(t, clips[1])
	for i := range 36 {
		if got[i] != a[i] {
			t.Fatalf("frame %d of clip a was not copied", i)
		}
	}
	for i := 12; i < 36; i++ {
		if got[36+18+i-12] != b[i] {
			t.Fatalf("frame %d of clip b was not copied", i)
		}
	}
	if got[40] == a[40] {
		t.Errorf("frame 40 should be part of the re-encoded fade")
	}
	dec, err := exec.Command("ffmpeg", "-v", "error", "-i", out, "-f", "null",
		"-").CombinedOutput()
	if err != nil || len(bytes.TrimSpace(dec)) > 0 {
		t.Errorf("decoding smart output: %v: %s", err, dec)
	}
}

func TestPlanSmart(t *testing.T) {
	k := []keyFrame{{0, -0.1}, {1, 0.9}, {2, 1.9}, {3, 2.9}}
	keys := [][]keyFrame{k, k, k}
	cuts, ok := planSmart(keys, []float64{4, 4, 4}, 0.5)
	if !ok {
		t.Fatal("plan refused")
	}
	want := []smartCut{{0, 3, 2.9}, {1, 3, 2.9}, {1, 4, 0}}
	for i := range want {
		if cuts[i] != want[i] {
			t.Errorf("cut %d = %+v, want %+v", i, cuts[i], want[i])
		}
	}
	// One key frame per clip leaves no body to copy.
	if _, ok := planSmart([][]keyFrame{{{0, 0}}, {{0, 0}}}, []float64{2, 2}, 0.5); ok {
		t.Error("plan accepted clips without inner key frames")
	}
}
