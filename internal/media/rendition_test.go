package media

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSizesMatchDocTable keeps the table in Size's doc comment honest.
func TestSizesMatchDocTable(t *testing.T) {
	f, err := os.Open("rendition.go")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(strings.TrimPrefix(sc.Text(), "//"))
		if len(fields) != 2+len(Aspects) || !strings.HasPrefix(sc.Text(), "//\t") ||
			fields[0] == "tier" {
			continue
		}
		for i, a := range Aspects {
			doc[fields[0]+" "+a] = fields[2+i]
		}
	}
	entries := Sizes()
	if len(entries) != 16 || len(doc) != 16 {
		t.Fatalf("Sizes has %d cells, doc table %d; want 16", len(entries), len(doc))
	}
	for _, e := range entries {
		want := fmt.Sprintf("%dx%d", e.Width, e.Height)
		if got := doc[e.Tier+" "+e.Aspect]; got != want {
			t.Errorf("doc says %s %s = %s, Sizes says %s", e.Tier, e.Aspect, got, want)
		}
		if e.Width%2 != 0 || e.Height%2 != 0 {
			t.Errorf("%s %s: odd size %dx%d", e.Tier, e.Aspect, e.Width, e.Height)
		}
	}
	if w, h, _ := Size(Tier720p, Aspect21x9); w != 1680 || h != 720 {
		t.Errorf("21:9 720p = %dx%d, want 1680x720", w, h)
	}
	if _, _, err := Size("8k", Aspect1x1); !errors.Is(err, ErrUnknownTier) {
		t.Errorf("8k: %v", err)
	}
	if _, _, err := Size(Tier4K, "4:3"); !errors.Is(err, ErrUnknownAspect) {
		t.Errorf("4:3: %v", err)
	}
}

// TestRenditionCells encodes all 16 cells, one Renditions run per tier, and
// checks every file's probed size.
func TestRenditionCells(t *testing.T) {
	r := testRunner(t)
	dir := t.TempDir()
	src := makeClip(t, dir, "src", clipOpts{W: 160, H: 90, Dur: 0.4, FPS: 10, Audio: true})
	for _, tier := range Tiers {
		var outs []Output
		for _, a := range Aspects {
			name := fmt.Sprintf("%s_%s.mp4", tier, strings.ReplaceAll(a, ":", "x"))
			outs = append(outs, Output{Path: filepath.Join(dir, name),
				Spec: Spec{Tier: tier, Aspect: a, Preset: "ultrafast"}})
		}
		if err := r.Renditions(context.Background(), src, outs, nil); err != nil {
			t.Fatal(err)
		}
		for _, o := range outs {
			w, h, _ := Size(o.Spec.Tier, o.Spec.Aspect)
			info := probe(t, r, o.Path)
			if info.Width != w || info.Height != h || !info.HasAudio ||
				info.VideoCodec != "h264" {
				t.Errorf("%s %s: got %dx%d %s audio=%v, want %dx%d", o.Spec.Tier,
					o.Spec.Aspect, info.Width, info.Height, info.VideoCodec, info.HasAudio,
					w, h)
			}
		}
	}
}

func TestFitModes(t *testing.T) {
	t.Parallel()
	r := testRunner(t)
	dir := t.TempDir()
	src := makeClip(t, dir, "src", clipOpts{W: 320, H: 180, Dur: 0.4, FPS: 10})
	// Sample the top strip of a 9:16 frame: black bars with pad, picture
	// with crop and blur.
	top := map[Fit]float64{}
	for _, fit := range []Fit{FitPad, FitCrop, FitBlur} {
		dst := filepath.Join(dir, string(fit)+".mp4")
		spec := Spec{Tier: Tier720p, Aspect: Aspect9x16, Fit: fit, Preset: "ultrafast"}
		if err := r.Transcode(context.Background(), src, dst, spec, nil); err != nil {
			t.Fatal(err)
		}
		info := probe(t, r, dst)
		if info.Width != 720 || info.Height != 1280 {
			t.Errorf("%s: %dx%d, want 720x1280", fit, info.Width, info.Height)
		}
		px := grabGray(t, dst, 0.1, 36, 64)
		black := make([]byte, len(px))
		top[fit] = regionDiff(px, black, 36, 0, 0, 36, 10)
	}
	if top[FitPad] > 20 {
		t.Errorf("pad: top strip mean luma %.1f, want black bars", top[FitPad])
	}
	if top[FitCrop] < 40 || top[FitBlur] < 40 {
		t.Errorf("crop/blur: top strip luma %.1f/%.1f, want picture", top[FitCrop],
			top[FitBlur])
	}
}

func TestTranscodeFormats(t *testing.T) {
	t.Parallel()
	r := testRunner(t)
	dir := t.TempDir()
	src := makeClip(t, dir, "src", clipOpts{W: 320, H: 180, Dur: 0.5, FPS: 10, Audio: true})
	ctx := context.Background()

	mov := filepath.Join(dir, "out.mov")
	if err := r.Transcode(ctx, src, mov, Spec{Tier: Tier720p, Format: FormatMOV,
		Codec: CodecHEVC, Preset: "ultrafast"}, nil); err != nil {
		t.Fatal(err)
	}
	info := probe(t, r, mov)
	if info.MajorBrand != "qt  " || info.VideoCodec != "hevc" || info.Width != 1280 {
		t.Errorf("mov: %+v", info)
	}

	mp4 := filepath.Join(dir, "out.mp4")
	if err := r.Transcode(ctx, src, mp4, Spec{Tier: Tier720p, Aspect: Aspect1x1,
		Preset: "ultrafast"}, nil); err != nil {
		t.Fatal(err)
	}
	if info := probe(t, r, mp4); info.MajorBrand != "isom" || info.AudioCodec != "aac" {
		t.Errorf("mp4: %+v", info)
	}
	if data, _ := os.ReadFile(mp4); !faststart(data) {
		t.Errorf("mp4: moov atom not before mdat")
	}

	if err := r.Transcode(ctx, src, mp4, Spec{Fit: "stretch"}, nil); !errors.Is(err,
		ErrInvalidSpec) {
		t.Errorf("bad fit: %v", err)
	}
}

// faststart reports whether the moov box comes before mdat.
func faststart(data []byte) bool {
	moov := strings.Index(string(data), "moov")
	mdat := strings.Index(string(data), "mdat")
	return moov >= 0 && mdat >= 0 && moov < mdat
}

func TestGIFUnderCap(t *testing.T) {
	t.Parallel()
	r := testRunner(t)
	dir := t.TempDir()
	src := makeClip(t, dir, "src", clipOpts{W: 320, H: 180, Dur: 1, FPS: 25})
	dst := filepath.Join(dir, "out.gif")
	const capBytes = 150 << 10
	spec := Spec{Tier: Tier720p, Format: FormatGIF,
		GIF: GIFOptions{MaxBytes: capBytes, FPS: 12, Width: 320}}
	if err := r.Transcode(context.Background(), src, dst, spec, nil); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	info := probe(t, r, dst)
	if st.Size() > capBytes || info.FormatName != "gif" || info.VideoCodec != "gif" {
		t.Errorf("gif: %d bytes (cap %d), %+v", st.Size(), capBytes, info)
	}
	if d := info.Width*9 - info.Height*16; info.Width > 320 || d > 32 || d < -32 {
		t.Errorf("gif size %dx%d", info.Width, info.Height)
	}
	// A cap no GIF can meet walks the whole ladder and gives up; start low
	// so the walk is short.
	spec.GIF = GIFOptions{MaxBytes: 100, FPS: 6, Width: 128}
	err = r.Transcode(context.Background(), src, dst, spec, nil)
	if !errors.Is(err, ErrGIFTooLarge) {
		t.Errorf("tiny cap: %v", err)
	}
}

func TestHLSLadder(t *testing.T) {
	t.Parallel()
	r := testRunner(t)
	dir := t.TempDir()
	src := makeClip(t, dir, "src", clipOpts{W: 320, H: 180, Dur: 1, FPS: 25, Audio: true})
	master := filepath.Join(dir, "hls", "master.m3u8")
	spec := Spec{Format: FormatHLS, Aspect: Aspect16x9, Preset: "ultrafast",
		HLSTiers: []string{Tier720p, Tier1080p}, HLSSegment: 1e9}
	if err := r.Transcode(context.Background(), src, master, spec, nil); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(master)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for i, tier := range spec.HLSTiers {
		w, h, _ := Size(tier, spec.Aspect)
		if !strings.Contains(text, fmt.Sprintf("RESOLUTION=%dx%d", w, h)) {
			t.Errorf("master lacks %dx%d:\n%s", w, h, text)
		}
		variant := fmt.Sprintf("v%d/index.m3u8", i)
		if !strings.Contains(text, variant) {
			t.Errorf("master lacks %s", variant)
		}
		info := probe(t, r, filepath.Join(dir, "hls", variant))
		if info.Width != w || info.Height != h || !info.HasAudio {
			t.Errorf("variant %d: %+v", i, info)
		}
	}
	if strings.Count(text, "BANDWIDTH=") != 2 {
		t.Errorf("master: %s", text)
	}
}

func TestHLSArgsWithoutAudio(t *testing.T) {
	spec := Spec{Format: FormatHLS, Aspect: Aspect9x16}.withDefaults()
	args, err := hlsArgs("in.mp4", "/out/master.m3u8", spec, false)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(args, " ")
	if !strings.Contains(joined, "-var_stream_map v:0 v:1 ") ||
		strings.Contains(joined, "0:a") {
		t.Errorf("args without audio: %s", joined)
	}
	if !strings.Contains(joined, "pad=720:1280") || !strings.Contains(joined,
		"pad=1080:1920") {
		t.Errorf("variant sizes missing: %s", joined)
	}
}
