package media

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseProbeSamples(t *testing.T) {
	cases := []struct {
		file string
		want Info
	}{
		{"probe_landscape.json", Info{Width: 320, Height: 180, FPS: 30, FrameRate: "30/1",
			VideoCodec: "h264", AudioCodec: "aac", PixFmt: "yuv420p", HasAudio: true,
			SampleRate: 44100, Channels: 1, Frames: 30, Duration: 1 * time.Second}},
		{"probe_phone_rotated.json", Info{Width: 1080, Height: 1920, Rotation: 90,
			FPS: 30000.0 / 1001, FrameRate: "30000/1001", VideoCodec: "hevc",
			AudioCodec: "aac", PixFmt: "yuv420p", HasAudio: true, SampleRate: 44100,
			Channels: 2, Frames: 299, Bitrate: 8039746, SizeBytes: 10034127,
			Duration: 9984580 * time.Microsecond}},
		{"probe_noaudio.json", Info{Width: 64, Height: 48, FPS: 10, FrameRate: "10/1",
			VideoCodec: "h264", PixFmt: "yuv420p", Frames: 5,
			Duration: 500 * time.Millisecond}},
	}
	brands := map[string]string{"probe_landscape.json": "isom",
		"probe_phone_rotated.json": "qt  ", "probe_noaudio.json": "isom"}
	for _, c := range cases {
		data, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseProbe(data)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if got.MajorBrand != brands[c.file] {
			t.Errorf("%s: brand %q", c.file, got.MajorBrand)
		}
		if c.want.Bitrate == 0 {
			c.want.Bitrate, c.want.SizeBytes = got.Bitrate, got.SizeBytes
		}
		c.want.FormatName = "mov,mp4,m4a,3gp,3g2,mj2"
		c.want.MajorBrand = got.MajorBrand
		c.want.VideoProfile, c.want.VideoTimeBase = got.VideoProfile, got.VideoTimeBase
		if !near(got.Duration, c.want.Duration, 30*time.Millisecond) {
			t.Errorf("%s: duration %v, want %v", c.file, got.Duration, c.want.Duration)
		}
		c.want.Duration = got.Duration
		if got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.file, got, c.want)
		}
	}
}

func TestNormaliseRotation(t *testing.T) {
	for in, want := range map[float64]int{0: 0, 90: 90, -90: 270, 180: 180, -180: 180,
		270: 270, 450: 90, 89.9: 90} {
		if got := normaliseRotation(in); got != want {
			t.Errorf("normaliseRotation(%v) = %d, want %d", in, got, want)
		}
	}
}

func TestProbeRealFile(t *testing.T) {
	t.Parallel()
	r := testRunner(t)
	p := makeClip(t, t.TempDir(), "a", clipOpts{W: 96, H: 64, Dur: 1, FPS: 24, Audio: true})
	info := probe(t, r, p)
	if info.Width != 96 || info.Height != 64 || info.FPS != 24 || !info.HasAudio ||
		info.VideoCodec != "h264" || info.AudioCodec != "aac" || info.SizeBytes <= 0 {
		t.Errorf("info = %+v", info)
	}
	if !near(info.Duration, time.Second, 50*time.Millisecond) {
		t.Errorf("duration = %v", info.Duration)
	}
}

func FuzzParseProbe(f *testing.F) {
	for _, name := range []string{"probe_landscape.json", "probe_phone_rotated.json",
		"probe_noaudio.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"streams":[{"codec_type":"video","width":-5,"height":3,` +
		`"r_frame_rate":"1/0","tags":{"rotate":"NaN"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := parseProbe(data)
		if err != nil {
			return
		}
		if info.Rotation%90 != 0 || info.Rotation < 0 || info.Rotation >= 360 {
			t.Fatalf("rotation %d", info.Rotation)
		}
		if info.FPS < 0 || info.Duration < 0 || info.Width < 0 || info.Height < 0 {
			t.Fatalf("negative field in %+v", info)
		}
	})
}

func TestProbeCache(t *testing.T) {
	t.Parallel()
	base := testRunner(t)
	r := *base
	r.cache = newProbeCache(2)
	dir := t.TempDir()
	p := makeClip(t, dir, "a", clipOpts{W: 64, H: 48, Dur: 0.5, FPS: 10})
	first := probe(t, &r, p)
	// A hit must not run ffprobe at all.
	r.FFprobe = "/nonexistent/ffprobe"
	if got := probe(t, &r, p); got != first {
		t.Errorf("cached probe = %+v, want %+v", got, first)
	}
	// Re-rendering the file invalidates the entry.
	r.FFprobe = base.FFprobe
	makeClip(t, dir, "a", clipOpts{W: 96, H: 64, Dur: 0.5, FPS: 10})
	if got := probe(t, &r, p); got.Width != 96 {
		t.Errorf("stale cache entry: %+v", got)
	}
	// A disabled cache probes every time.
	r.cache = nil
	r.FFprobe = "/nonexistent/ffprobe"
	if _, err := r.Probe(context.Background(), p); err == nil {
		t.Error("probe without cache did not run ffprobe")
	}
}
