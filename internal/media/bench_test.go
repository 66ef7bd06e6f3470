package media

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Each benchmark runs our API beside the best hand-written ffmpeg command for
// the same output, exec'd directly, so the ratio shows what the layer costs.
// Run: go test -bench . -run '^$' ./internal/media/

// coldRunner returns a Runner without a probe cache, so every operation pays
// its probes as a first call would.
func coldRunner(b *testing.B) *Runner {
	r := *testRunner(b)
	r.cache = nil
	return &r
}

// benchClips writes n 1s 320x180 25fps clips with AAC audio.
func benchClips(b *testing.B, n int) (string, []string) {
	b.Helper()
	dir := b.TempDir()
	var clips []string
	for i := range n {
		clips = append(clips, makeClip(b, dir, fmt.Sprintf("clip%02d", i),
			clipOpts{W: 320, H: 180, Dur: 1, FPS: 25, Audio: true, Freq: 200 + 50*i}))
	}
	return dir, clips
}

// ffmpegHand runs a hand-written command (arguments after "ffmpeg").
func ffmpegHand(b *testing.B, args ...string) {
	b.Helper()
	full := append([]string{"-hide_banner", "-nostdin", "-nostats", "-v", "error", "-y"},
		args...)
	if out, err := exec.Command("ffmpeg", full...).CombinedOutput(); err != nil {
		b.Fatalf("ffmpeg %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

func BenchmarkJoin10Copy(b *testing.B) {
	cold := coldRunner(b)
	dir, clips := benchClips(b, 10)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		r    *Runner
	}{{"reelforge-cold", cold}, {"reelforge-warm-probe-cache", testRunner(b)}} {
		b.Run(c.name, func(b *testing.B) {
			out := filepath.Join(dir, "ours.mp4")
			if _, err := c.r.ProbeAll(ctx, clips); err != nil { // fills the warm cache
				b.Fatal(err)
			}
			for b.Loop() {
				err := c.r.Assemble(ctx, AssembleSpec{Clips: clips, Output: out}, nil)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("hand-concat-demuxer", func(b *testing.B) {
		list := filepath.Join(dir, "list.txt")
		var s strings.Builder
		for _, c := range clips {
			s.WriteString(concatListLine(c))
		}
		if err := os.WriteFile(list, []byte(s.String()), 0o600); err != nil {
			b.Fatal(err)
		}
		out := filepath.Join(dir, "hand.mp4")
		for b.Loop() {
			ffmpegHand(b, "-f", "concat", "-safe", "0", "-i", list, "-c", "copy",
				"-movflags", "+faststart", out)
		}
	})
}

// benchEncode are the encoder settings shared by our calls and the
// hand-written commands (our 720p preset at ultrafast).
var benchEncode = []string{"-c:v", "libx264", "-preset", "ultrafast", "-b:v", "4000k",
	"-maxrate", "6000k", "-bufsize", "8000k", "-c:a", "aac", "-b:a", "128k", "-ac", "2",
	"-ar", "48000", "-movflags", "+faststart"}

func BenchmarkJoin4Transitions(b *testing.B) {
	r := coldRunner(b)
	dir, clips := benchClips(b, 4)
	ctx := context.Background()
	const fade = 250 * time.Millisecond
	b.Run("reelforge", func(b *testing.B) {
		out := filepath.Join(dir, "ours.mp4")
		spec := AssembleSpec{Clips: clips, Output: out, Preset: "ultrafast",
			Transition: Transition{Type: "fade", Duration: fade}}
		for b.Loop() {
			if err := r.Assemble(ctx, spec, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hand-xfade", func(b *testing.B) {
		out := filepath.Join(dir, "hand.mp4")
		args := handXfadeArgs(clips, 1.0, fade.Seconds())
		args = append(append(args, benchEncode...), out)
		for b.Loop() {
			ffmpegHand(b, args...)
		}
	})
}

// BenchmarkJoin4TransitionsLong joins four 4s 1280x720 clips with a key
// frame every second, where Assemble copies the clip bodies and re-encodes
// only around the cuts, against the hand-written full re-encode.
func BenchmarkJoin4TransitionsLong(b *testing.B) {
	r := coldRunner(b)
	dir := b.TempDir()
	var clips []string
	for i := range 4 {
		clips = append(clips, makeClip(b, dir, fmt.Sprintf("long%d", i), clipOpts{W: 1280,
			H: 720, Dur: 4, FPS: 25, Audio: true, Freq: 200 + 100*i, Preset: "veryfast"}))
	}
	ctx := context.Background()
	const fade = 400 * time.Millisecond
	b.Run("reelforge-smart", func(b *testing.B) {
		out := filepath.Join(dir, "ours.mp4")
		spec := AssembleSpec{Clips: clips, Output: out, Preset: "ultrafast",
			Transition: Transition{Type: "fade", Duration: fade}}
		for b.Loop() {
			if err := r.Assemble(ctx, spec, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hand-xfade", func(b *testing.B) {
		out := filepath.Join(dir, "hand.mp4")
		args := handXfadeArgs(clips, 4.0, fade.Seconds())
		args = append(append(args, benchEncode...), out)
		for b.Loop() {
			ffmpegHand(b, args...)
		}
	})
}

// handXfadeArgs is the usual hand-written xfade/acrossfade chain for clips
// already in one format, each clipLen seconds long.
func handXfadeArgs(clips []string, clipLen, fade float64) []string {
	var args []string
	for _, c := range clips {
		args = append(args, "-i", c)
	}
	var g []string
	pv, pa := "0:v", "0:a"
	total := clipLen
	for i := 1; i < len(clips); i++ {
		ov, oa := fmt.Sprintf("v%d", i), fmt.Sprintf("a%d", i)
		g = append(g, fmt.Sprintf("[%s][%d:v]xfade=transition=fade:duration=%g:offset=%g[%s]",
			pv, i, fade, total-fade, ov))
		g = append(g, fmt.Sprintf("[%s][%d:a]acrossfade=d=%g[%s]", pa, i, fade, oa))
		total += clipLen - fade
		pv, pa = ov, oa
	}
	return append(args, "-filter_complex", strings.Join(g, ";"), "-map", "["+pv+"]",
		"-map", "["+pa+"]")
}

// benchOutputs are the four renditions: 720p in three shapes and 1080p.
var benchOutputs = []struct {
	tier, aspect string
}{{Tier720p, Aspect16x9}, {Tier720p, Aspect9x16}, {Tier720p, Aspect1x1},
	{Tier1080p, Aspect16x9}}

func BenchmarkRenditions4(b *testing.B) {
	r := coldRunner(b)
	dir := b.TempDir()
	src := makeClip(b, dir, "src", clipOpts{W: 1280, H: 720, Dur: 2, FPS: 25, Audio: true})
	ctx := context.Background()
	b.Run("reelforge-split", func(b *testing.B) {
		var outs []Output
		for i, o := range benchOutputs {
			outs = append(outs, Output{Path: filepath.Join(dir, fmt.Sprintf("ours%d.mp4", i)),
				Spec: Spec{Tier: o.tier, Aspect: o.aspect, Preset: "ultrafast"}})
		}
		for b.Loop() {
			if err := r.Renditions(ctx, src, outs, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hand-4-runs", func(b *testing.B) {
		for b.Loop() {
			for i, o := range benchOutputs {
				args := []string{"-i", src, "-vf", handPad(o.tier, o.aspect)}
				args = append(append(args, handEncode(o.tier)...),
					filepath.Join(dir, fmt.Sprintf("sep%d.mp4", i)))
				ffmpegHand(b, args...)
			}
		}
	})
	b.Run("hand-split", func(b *testing.B) {
		var g []string
		g = append(g, "[0:v]split=4[s0][s1][s2][s3]")
		var tail []string
		for i, o := range benchOutputs {
			g = append(g, fmt.Sprintf("[s%d]%s[v%d]", i, handPad(o.tier, o.aspect), i))
			tail = append(tail, "-map", fmt.Sprintf("[v%d]", i), "-map", "0:a")
			tail = append(append(tail, handEncode(o.tier)...),
				filepath.Join(dir, fmt.Sprintf("split%d.mp4", i)))
		}
		args := append([]string{"-i", src, "-filter_complex", strings.Join(g, ";")},
			tail...)
		for b.Loop() {
			ffmpegHand(b, args...)
		}
	})
}

// handPad is the classic scale-and-letterbox chain.
func handPad(tier, aspect string) string {
	w, h, _ := Size(tier, aspect)
	return fmt.Sprintf("scale=%d:%d:force_original_aspect_ratio=decrease,"+
		"pad=%d:%d:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p", w, h, w, h)
}

func handEncode(tier string) []string {
	q, _ := QualityFor(tier, CodecH264)
	return []string{"-c:v", "libx264", "-preset", "ultrafast",
		"-b:v", fmt.Sprintf("%dk", q.VideoKbps), "-maxrate", fmt.Sprintf("%dk", q.MaxKbps),
		"-bufsize", fmt.Sprintf("%dk", q.BufKbits), "-c:a", "aac", "-b:a", "128k",
		"-ac", "2", "-ar", "48000", "-movflags", "+faststart"}
}
