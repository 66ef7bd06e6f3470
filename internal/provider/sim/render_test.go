package sim

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reelforge/reelforge/internal/provider"
)

func TestRenderMatchesRequest(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, nil)
	cases := []struct {
		res, aspect string
		w, h        int
		audio       bool
	}{
		{"720p", "16:9", 1280, 720, true},
		{"720p", "9:16", 720, 1280, true},
		{"720p", "1:1", 720, 720, true},
		{"720p", "21:9", 1680, 720, true},
		{"1080p", "16:9", 1920, 1080, false},
	}
	for _, tc := range cases {
		id := mustCreate(t, s, provider.Request{Kind: provider.KindTextToVideo,
			Prompt: "一只橘猫在月光下的屋顶上跳舞，电影感镜头", DurationSeconds: 1,
			Resolution: tc.res, AspectRatio: tc.aspect, Audio: tc.audio})
		seen := waitDone(t, s, id)
		st := seen[len(seen)-1]
		if st.State != provider.StateSucceeded || len(st.Outputs) != 1 {
			t.Fatalf("%s %s: final status %+v", tc.res, tc.aspect, st)
		}
		out := st.Outputs[0]
		if out.Width != tc.w || out.Height != tc.h || out.MIME != "video/mp4" {
			t.Errorf("%s %s: output %+v", tc.res, tc.aspect, out)
		}
		info := probe(t, download(t, out.URL, "clip.mp4"))
		if info.Width != tc.w || info.Height != tc.h {
			t.Errorf("%s %s: probed %dx%d, want %dx%d", tc.res, tc.aspect, info.Width,
				info.Height, tc.w, tc.h)
		}
		if d := info.Duration.Seconds(); math.Abs(d-1) > 0.15 {
			t.Errorf("%s %s: duration %.3f s, want 1", tc.res, tc.aspect, d)
		}
		if info.VideoCodec != "h264" || info.PixFmt != "yuv420p" {
			t.Errorf("%s %s: codec %s %s", tc.res, tc.aspect, info.VideoCodec, info.PixFmt)
		}
		if info.HasAudio != tc.audio || (tc.audio && info.AudioCodec != "aac") {
			t.Errorf("%s %s: audio %v %q, want %v aac", tc.res, tc.aspect, info.HasAudio,
				info.AudioCodec, tc.audio)
		}
		cover := probe(t, download(t, st.CoverURL, "cover.jpg"))
		if cover.Width != tc.w || cover.Height != tc.h {
			t.Errorf("%s %s: cover %dx%d", tc.res, tc.aspect, cover.Width, cover.Height)
		}
	}
}

func TestTextToImage(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, nil)
	id := mustCreate(t, s, provider.Request{Kind: provider.KindTextToImage,
		Prompt: "关键帧：雨夜霓虹街道", Resolution: "720p", AspectRatio: "9:16"})
	seen := waitDone(t, s, id)
	st := seen[len(seen)-1]
	if st.State != provider.StateSucceeded || len(st.Outputs) != 1 ||
		st.Outputs[0].Kind != provider.OutputImage {
		t.Fatalf("final status %+v", st)
	}
	p := download(t, st.Outputs[0].URL, "frame.png")
	head, err := os.ReadFile(p)
	if err != nil || !strings.HasPrefix(string(head), "\x89PNG") {
		t.Fatalf("not a PNG: %v", err)
	}
	if info := probe(t, p); info.Width != 720 || info.Height != 1280 {
		t.Errorf("PNG is %dx%d, want 720x1280", info.Width, info.Height)
	}
}

func TestImageToVideo(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, nil)
	frame := mustCreate(t, s, provider.Request{Kind: provider.KindTextToImage,
		Prompt: "start frame", Resolution: "720p", AspectRatio: "1:1"})
	seen := waitDone(t, s, frame)
	id := mustCreate(t, s, provider.Request{Kind: provider.KindImageToVideo,
		Prompt: "make it move", ImageURL: seen[len(seen)-1].Outputs[0].URL,
		DurationSeconds: 1, Resolution: "720p", AspectRatio: "16:9"})
	seen = waitDone(t, s, id)
	st := seen[len(seen)-1]
	if st.State != provider.StateSucceeded {
		t.Fatalf("final status %+v", st)
	}
	info := probe(t, download(t, st.Outputs[0].URL, "i2v.mp4"))
	if info.Width != 1280 || info.Height != 720 || math.Abs(info.Duration.Seconds()-1) > 0.15 {
		t.Errorf("probed %dx%d %s", info.Width, info.Height, info.Duration)
	}
	bad := mustCreate(t, s, provider.Request{Kind: provider.KindImageToVideo,
		ImageURL: "file:///etc/passwd", DurationSeconds: 1})
	seen = waitDone(t, s, bad)
	if st := seen[len(seen)-1]; st.State != provider.StateFailed ||
		st.Err.Code != provider.CodeBadRequest {
		t.Errorf("file:// image: %+v", st)
	}
}

// TestHostilePrompt draws text that would break a naively escaped drawtext
// filter, with a font path full of filtergraph metacharacters.
func TestHostilePrompt(t *testing.T) {
	t.Parallel()
	font := findFont(t.Context())
	if font == "" {
		t.Skip("no font installed")
	}
	weird := filepath.Join(t.TempDir(), "we'ird:font,[x];%{n}.ttc")
	if err := os.Symlink(font, weird); err != nil {
		t.Fatal(err)
	}
	s := newTestSim(t, func(c *Config) { c.FontFile = weird })
	prompt := `it's a "test": C:\path\n %{localtime} %{pts\:hms} [x];,=` + "\n\t\x00\u202e" +
		strings.Repeat(`\':%`, 300) + strings.Repeat("长", 3800)
	for _, kind := range []provider.Kind{provider.KindTextToVideo, provider.KindTextToImage} {
		req := provider.Request{Kind: kind, Prompt: prompt, Resolution: "720p",
			AspectRatio: "1:1", Model: "sim-1"}
		if kind.IsVideo() {
			req.DurationSeconds = 1
		}
		seen := waitDone(t, s, mustCreate(t, s, req))
		if st := seen[len(seen)-1]; st.State != provider.StateSucceeded {
			t.Errorf("%s: %+v (err %v)", kind, st, st.Err)
		}
	}
}

func TestEscapeOption(t *testing.T) {
	t.Parallel()
	got := escapeOption(`a:b'c\d,e[f]g;h`)
	want := `a\\:b\\\'c\\\\d\,e\[f\]g\;h`
	if got != want {
		t.Errorf("escapeOption = %s, want %s", got, want)
	}
}
