package media

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	runnerOnce sync.Once
	sharedRun  *Runner
	runnerErr  error
)

// testRunner returns a Runner on the system ffmpeg; tests need a real one.
func testRunner(t testing.TB) *Runner {
	t.Helper()
	runnerOnce.Do(func() {
		sharedRun, runnerErr = NewRunner(Config{Timeout: 5 * time.Minute})
	})
	if runnerErr != nil {
		t.Fatalf("ffmpeg is required for these tests: %v", runnerErr)
	}
	return sharedRun
}

// clipOpts describes a generated test clip.
type clipOpts struct {
	W, H   int
	Dur    float64
	FPS    int
	Audio  bool
	Freq   int    // sine frequency; 0 means 440
	Color  string // solid colour instead of testsrc2 when set
	Codec  string // default libx264
	Ext    string // default mp4
	Silent bool   // audio track of digital silence
	Preset string // x264 preset; default ultrafast (no B-frames)
	GOP    int    // key frame interval in frames; default FPS
}

// makeClip writes a small clip with lavfi sources into dir and returns it.
func makeClip(t testing.TB, dir, name string, o clipOpts) string {
	t.Helper()
	if o.W == 0 {
		o.W, o.H = 160, 90
	}
	if o.Dur == 0 {
		o.Dur = 1
	}
	if o.FPS == 0 {
		o.FPS = 25
	}
	if o.Codec == "" {
		o.Codec = "libx264"
	}
	if o.Ext == "" {
		o.Ext = "mp4"
	}
	if o.Freq == 0 {
		o.Freq = 440
	}
	src := fmt.Sprintf("testsrc2=s=%dx%d:r=%d:d=%g", o.W, o.H, o.FPS, o.Dur)
	if o.Color != "" {
		src = fmt.Sprintf("color=c=%s:s=%dx%d:r=%d:d=%g", o.Color, o.W, o.H, o.FPS, o.Dur)
	}
	args := []string{"-y", "-f", "lavfi", "-i", src}
	if o.Audio {
		asrc := fmt.Sprintf("sine=f=%d:sample_rate=48000:d=%g", o.Freq, o.Dur)
		if o.Silent {
			asrc = fmt.Sprintf("anullsrc=r=48000:cl=stereo,atrim=duration=%g", o.Dur)
		}
		args = append(args, "-f", "lavfi", "-i", asrc, "-ac", "2", "-c:a", "aac",
			"-b:a", "96k")
	}
	if o.Preset == "" {
		o.Preset = "ultrafast"
	}
	if o.GOP == 0 {
		o.GOP = o.FPS
	}
	args = append(args, "-c:v", o.Codec, "-preset", o.Preset, "-pix_fmt", "yuv420p",
		"-g", fmt.Sprint(o.GOP))
	out := filepath.Join(dir, name+"."+o.Ext)
	args = append(args, out)
	cmd := exec.Command("ffmpeg", append([]string{"-v", "error"}, args...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generating %s: %v: %s", out, err, b)
	}
	return out
}

// probe is Probe that fails the test on error.
func probe(t testing.TB, r *Runner, path string) Info {
	t.Helper()
	info, err := r.Probe(context.Background(), path)
	if err != nil {
		t.Fatalf("probe %s: %v", path, err)
	}
	return info
}

// ffprobeEntries runs ffprobe with -show_entries and returns csv lines.
func ffprobeEntries(t testing.TB, path, stream, entries string) []string {
	t.Helper()
	args := []string{"-v", "error", "-select_streams", stream, "-show_entries", entries,
		"-of", "csv=p=0", path}
	b, err := exec.Command("ffprobe", args...).Output()
	if err != nil {
		t.Fatalf("ffprobe %v: %v", args, err)
	}
	return strings.Fields(strings.TrimSpace(string(b)))
}

// meanVolume returns volumedetect's mean_volume in dB for path's audio.
func meanVolume(t testing.TB, path string) float64 {
	t.Helper()
	b, err := exec.Command("ffmpeg", "-hide_banner", "-nostats", "-i", path, "-map", "0:a",
		"-af", "volumedetect", "-f", "null", "-").CombinedOutput()
	if err != nil {
		t.Fatalf("volumedetect %s: %v: %s", path, err, b)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if _, v, ok := strings.Cut(line, "mean_volume:"); ok {
			var db float64
			fmt.Sscanf(strings.TrimSpace(v), "%g", &db)
			return db
		}
	}
	t.Fatalf("no mean_volume in %s", b)
	return 0
}

// grabGray extracts the frame at sec as raw 8-bit gray pixels at w x h.
func grabGray(t testing.TB, path string, sec float64, w, h int) []byte {
	t.Helper()
	args := []string{"-v", "error"}
	if sec > 0 { // -ss 0 on a still image drops its only frame
		args = append(args, "-ss", fmt.Sprint(sec))
	}
	args = append(args, "-i", path, "-frames:v", "1", "-vf",
		fmt.Sprintf("scale=%d:%d,format=gray", w, h), "-f", "rawvideo", "-")
	b, err := exec.Command("ffmpeg", args...).Output()
	if err != nil {
		t.Fatalf("grab frame %s: %v", path, err)
	}
	if len(b) != w*h {
		t.Fatalf("grab frame %s: got %d bytes, want %d", path, len(b), w*h)
	}
	return b
}

// regionDiff is the mean absolute difference of two gray frames inside the
// rectangle [x0,x1)x[y0,y1).
func regionDiff(a, b []byte, w, x0, y0, x1, y1 int) float64 {
	var sum, n float64
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			d := float64(a[y*w+x]) - float64(b[y*w+x])
			if d < 0 {
				d = -d
			}
			sum += d
			n++
		}
	}
	return sum / n
}

func near(a, b, tol time.Duration) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= tol
}
