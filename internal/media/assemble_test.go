package media

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestConcatListEscaping(t *testing.T) {
	got := concatListLine("/tmp/it's here/a.mp4")
	want := `file '/tmp/it'\''s here/a.mp4'` + "\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := escapeFilterValue(`/a b/c:d'e,f[g]`); got != `/a b/c\\:d\\\'e\,f\[g\]` {
		t.Errorf("escapeFilterValue = %q", got)
	}
}

// TestAssembleCopyPath joins three identical-format clips, one of them in a
// directory whose name needs quoting, and checks that nothing was
// re-encoded: every decoded frame equals the matching clip frame and the
// frame count is the sum of the clips'.
func TestAssembleCopyPath(t *testing.T) {
	t.Parallel()
	r := testRunner(t)
	dir := t.TempDir()
	odd := filepath.Join(dir, "it's a [dir]")
	if err := os.Mkdir(odd, 0o755); err != nil {
		t.Fatal(err)
	}
	clips := []string{
		makeClip(t, dir, "a", clipOpts{W: 160, H: 90, Dur: 1, Audio: true, Freq: 300}),
		makeClip(t, odd, "b", clipOpts{W: 160, H: 90, Dur: 1, Audio: true, Freq: 500}),
		makeClip(t, dir, "c", clipOpts{W: 160, H: 90, Dur: 0.6, Audio: true, Freq: 700}),
	}
	out := filepath.Join(dir, "joined.mp4")
	var last Progress
	err := r.Assemble(context.Background(), AssembleSpec{Clips: clips, Output: out},
		func(p Progress) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	if !last.Done {
		t.Errorf("no final progress report: %+v", last)
	}
	// Decoded frames are bit-identical to the clips' frames, in order: a
	// re-encode (even at high quality) would change them.
	var want []string
	for _, c := range clips {
		want = append(want, frameHashes(t, c)...)
	}
	got := frameHashes(t, out)
	if len(got) != len(want) {
		t.Fatalf("joined has %d frames, clips have %d in total", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("frame %d differs: clips were re-encoded", i)
		}
	}
	// Non-key packets are byte-for-byte the first clip's (key frames may
	// gain in-band parameter sets).
	first := ffprobeEntries(t, clips[0], "v:0", "packet=size,flags")
	joined := ffprobeEntries(t, out, "v:0", "packet=size,flags")
	for i, p := range first {
		if !strings.HasPrefix(strings.SplitN(p, ",", 2)[1], "K") && joined[i] != p {
			t.Fatalf("packet %d: %s vs %s", i, joined[i], p)
		}
	}
	info := probe(t, r, out)
	if !near(info.Duration, 2600*time.Millisecond, 80*time.Millisecond) || !info.HasAudio {
		t.Errorf("joined: %+v", info)
	}
}

// TestAssembleNormalise mixes sizes, frame rates and a clip without audio.
func TestAssembleNormalise(t *testing.T) {
	t.Parallel()
	r := testRunner(t)
	dir := t.TempDir()
	clips := []string{
		makeClip(t, dir, "a", clipOpts{W: 160, H: 90, Dur: 1, FPS: 25, Audio: true}),
		makeClip(t, dir, "b", clipOpts{W: 90, H: 160, Dur: 1, FPS: 30}),
		makeClip(t, dir, "c", clipOpts{W: 200, H: 200, Dur: 0.8, FPS: 24, Audio: true,
			Ext: "mov"}),
	}
	out := filepath.Join(dir, "norm.mp4")
	spec := AssembleSpec{Clips: clips, Output: out, Width: 320, Height: 180,
		Preset: "ultrafast"}
	if err := r.Assemble(context.Background(), spec, nil); err != nil {
		t.Fatal(err)
	}
	info := probe(t, r, out)
	if info.Width != 320 || info.Height != 180 || info.FPS != 25 || !info.HasAudio {
		t.Errorf("normalised: %+v", info)
	}
	if !near(info.Duration, 2800*time.Millisecond, 100*time.Millisecond) {
		t.Errorf("duration %v, want 2.8s", info.Duration)
	}
}

func TestAssembleTransitions(t *testing.T) {
	t.Parallel()
	r := testRunner(t)
	dir := t.TempDir()
	intro := makeClip(t, dir, "intro", clipOpts{W: 160, H: 90, Dur: 1, Color: "navy"})
	var clips []string
	for i, f := range []int{300, 500, 700} {
		clips = append(clips, makeClip(t, dir, "c"+strconv.Itoa(i),
			clipOpts{W: 160, H: 90, Dur: 1, Audio: true, Freq: f}))
	}
	for _, tr := range []string{"fade", "wipeleft", "circleopen"} {
		out := filepath.Join(dir, tr+".mp4")
		spec := AssembleSpec{Clips: clips, Intro: intro, Output: out, Preset: "ultrafast",
			Transition: Transition{Type: tr, Duration: 250 * time.Millisecond}}
		if err := r.Assemble(context.Background(), spec, nil); err != nil {
			t.Fatal(err)
		}
		info := probe(t, r, out)
		// Four 1s clips, three 0.25s overlaps.
		if !near(info.Duration, 3250*time.Millisecond, 80*time.Millisecond) {
			t.Errorf("%s: duration %v, want 3.25s", tr, info.Duration)
		}
	}
	spec := AssembleSpec{Clips: clips, Output: filepath.Join(dir, "x.mp4"),
		Transition: Transition{Type: "fade", Duration: 2 * time.Second}}
	if err := r.Assemble(context.Background(), spec, nil); !errors.Is(err,
		ErrInvalidSpec) {
		t.Errorf("over-long transition: %v", err)
	}
	spec.Transition.Type = "explode"
	if err := r.Assemble(context.Background(), spec, nil); !errors.Is(err,
		ErrInvalidSpec) {
		t.Errorf("unknown transition: %v", err)
	}
}

// TestAssembleEffects renders the same silent clips plainly and with music,
// a logo, a text watermark, burned Chinese subtitles, speed and loudnorm,
// and checks each effect where a viewer would notice it.
func TestAssembleEffects(t *testing.T) {
	t.Parallel()
	r := testRunner(t)
	dir := t.TempDir()
	clips := []string{
		makeClip(t, dir, "a", clipOpts{W: 320, H: 180, Dur: 1, Color: "gray"}),
		makeClip(t, dir, "b", clipOpts{W: 320, H: 180, Dur: 1, Color: "gray"}),
	}
	srt := filepath.Join(dir, "zh.srt")
	body := "1\n00:00:00,000 --> 00:00:05,000\n你好，世界！字幕测试\n"
	if err := os.WriteFile(srt, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	logo := filepath.Join(dir, "logo.png")
	mk := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i",
		"color=c=white:s=64x64", "-frames:v", "1", logo)
	if b, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	tone := makeClip(t, dir, "tone", clipOpts{W: 32, H: 32, Dur: 0.7, Audio: true,
		Freq: 220})
	ctx := context.Background()

	plain := filepath.Join(dir, "plain.mp4")
	base := AssembleSpec{Clips: clips, Output: plain, Preset: "ultrafast",
		Transition: Transition{Type: "dissolve", Duration: 200 * time.Millisecond}}
	if err := r.Assemble(ctx, base, nil); err != nil {
		t.Fatal(err)
	}

	fx := base
	fx.Output = filepath.Join(dir, "fx.mp4")
	fx.Music = &Music{Path: tone, Duck: true, Volume: 0.5}
	fx.Watermark = &Watermark{Image: logo, Position: TopRight, Opacity: 0.9}
	fx.Subtitles = &Subtitles{Path: srt, Burn: true}
	fx.Loudnorm = true
	if err := r.Assemble(ctx, fx, nil); err != nil {
		t.Fatal(err)
	}
	info := probe(t, r, fx.Output)
	if !info.HasAudio || !near(info.Duration, 1800*time.Millisecond, 80*time.Millisecond) {
		t.Errorf("fx: %+v", info)
	}
	if db := meanVolume(t, fx.Output); db < -40 {
		t.Errorf("music: mean volume %.1f dB, want audible", db)
	}
	if db := meanVolume(t, plain); db > -80 {
		t.Errorf("plain clips should be silent, mean volume %.1f dB", db)
	}
	a, b := grabGray(t, plain, 0.5, 320, 180), grabGray(t, fx.Output, 0.5, 320, 180)
	if d := regionDiff(a, b, 320, 320-60, 4, 320-8, 50); d < 40 {
		t.Errorf("logo: top-right region differs by %.1f, want visible", d)
	}
	if d := regionDiff(a, b, 320, 110, 155, 210, 175); d < 5 {
		t.Errorf("subtitles: bottom region differs by %.1f, want text", d)
	}
	if d := regionDiff(a, b, 320, 8, 60, 100, 120); d > 3 {
		t.Errorf("untouched region differs by %.1f", d)
	}

	text := base
	text.Output = filepath.Join(dir, "text.mp4")
	text.Watermark = &Watermark{Text: "锐影 Reelforge", Position: BottomLeft, Opacity: 1}
	text.Speed = 2
	if err := r.Assemble(ctx, text, nil); err != nil {
		t.Fatal(err)
	}
	info = probe(t, r, text.Output)
	if !near(info.Duration, 900*time.Millisecond, 80*time.Millisecond) {
		t.Errorf("speed 2: duration %v, want 0.9s", info.Duration)
	}
	c := grabGray(t, text.Output, 0.3, 320, 180)
	if d := regionDiff(a, c, 320, 4, 150, 120, 178); d < 5 {
		t.Errorf("text watermark: bottom-left differs by %.1f", d)
	}
}

func TestAssembleSoftSubtitles(t *testing.T) {
	t.Parallel()
	r := testRunner(t)
	dir := t.TempDir()
	srt := filepath.Join(dir, "zh.srt")
	body := "1\n00:00:00,100 --> 00:00:01,000\n第一句\n\n2\n00:00:01,000 --> 00:00:01,800\n第二句\n"
	if err := os.WriteFile(srt, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	clips := []string{
		makeClip(t, dir, "a", clipOpts{W: 160, H: 90, Dur: 1, Audio: true}),
		makeClip(t, dir, "b", clipOpts{W: 160, H: 90, Dur: 1, Audio: true}),
	}
	for _, tr := range []string{"", "fade"} { // copy path and re-encode path
		out := filepath.Join(dir, "soft"+tr+".mp4")
		spec := AssembleSpec{Clips: clips, Output: out, Preset: "ultrafast",
			Subtitles:  &Subtitles{Path: srt, Language: "chi"},
			Transition: Transition{Type: tr, Duration: 200 * time.Millisecond}}
		if err := r.Assemble(context.Background(), spec, nil); err != nil {
			t.Fatal(err)
		}
		codecs := ffprobeEntries(t, out, "s", "stream=codec_name")
		if len(codecs) != 1 || codecs[0] != "mov_text" {
			t.Errorf("%q: subtitle streams %v, want one mov_text", tr, codecs)
		}
		if got := strings.Join(ffprobeEntries(t, out, "s", "stream_tags=language"),
			""); got != "chi" {
			t.Errorf("%q: language %q", tr, got)
		}
	}
}

// frameHashes returns the MD5 of every decoded video frame of path.
func frameHashes(t *testing.T, path string) []string {
	t.Helper()
	b, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-map", "0:v",
		"-f", "framemd5", "-").Output()
	if err != nil {
		t.Fatalf("framemd5 %s: %v", path, err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		out = append(out, strings.TrimSpace(f[len(f)-1]))
	}
	return out
}

func TestAtempoChain(t *testing.T) {
	cases := map[float64]string{
		1.5:  "atempo=1.5",
		4:    "atempo=2,atempo=2",
		3:    "atempo=2,atempo=1.5",
		0.25: "atempo=0.5,atempo=0.5",
		0.4:  "atempo=0.5,atempo=0.8",
	}
	for speed, want := range cases {
		if got := atempoChain(speed); got != want {
			t.Errorf("atempoChain(%v) = %q, want %q", speed, got, want)
		}
	}
}
