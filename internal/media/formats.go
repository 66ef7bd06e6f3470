package media

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// GIFOptions tunes FormatGIF. The zero value means 480 px wide, 12 fps, at
// most 8 MiB.
type GIFOptions struct {
	// MaxBytes caps the file size. Default 8 MiB, a common upload limit.
	MaxBytes int64
	// FPS is the first frame rate tried. Default 12.
	FPS int
	// Width is the first width tried; the height follows Spec.Aspect.
	// Default 480.
	Width int
}

// Lower bounds of the GIF size search.
const (
	gifMinFPS   = 5
	gifMinWidth = 96
)

// gif encodes src as an animated GIF. Each attempt is one ffmpeg run in which
// split feeds palettegen and paletteuse, so the palette is built from the
// same frames it is applied to. When the file is over the cap the frame rate
// is lowered first, then the width, until it fits or ErrGIFTooLarge.
func (r *Runner) gif(ctx context.Context, src, dst string, spec Spec,
	progress func(Progress)) error {
	o := spec.GIF
	if o.MaxBytes <= 0 {
		o.MaxBytes = 8 << 20
	}
	if o.FPS <= 0 {
		o.FPS = 12
	}
	if o.Width <= 0 {
		o.Width = 480
	}
	tw, th, err := Size(spec.Tier, spec.Aspect)
	if err != nil {
		return err
	}
	info, err := r.Probe(ctx, src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("creating output directory: %w", err)
	}
	fps, width := o.FPS, o.Width
	for {
		height := max(evenRound(float64(width)*float64(th)/float64(tw)), 2)
		fg, err := fitGraph("r", "fit", "g", spec.Fit, width, height)
		if err != nil {
			return err
		}
		graph := fmt.Sprintf("[0:v]fps=%d[r];%s;[fit]split=2[pa][pb];"+
			"[pa]palettegen=stats_mode=diff[pal];"+
			"[pb][pal]paletteuse=dither=bayer:bayer_scale=3", fps, fg)
		args := []string{"-y", "-i", src, "-filter_complex", graph, "-an", "-loop", "0",
			"-f", "gif", dst}
		if err := r.RunFor(ctx, args, info.Duration, progress); err != nil {
			return err
		}
		st, err := os.Stat(dst)
		if err != nil {
			return fmt.Errorf("checking gif size: %w", err)
		}
		r.logger().Debug("media: gif attempt", "fps", fps, "width", width,
			"bytes", st.Size(), "cap", o.MaxBytes)
		if st.Size() <= o.MaxBytes {
			return nil
		}
		switch {
		case fps > gifMinFPS:
			fps = max(fps*3/4, gifMinFPS)
		case width > gifMinWidth:
			width = max(evenRound(float64(width)*0.75), gifMinWidth)
			fps = max(o.FPS/2, gifMinFPS)
		default:
			_ = os.Remove(dst)
			return fmt.Errorf("%w: %d bytes at %d fps and %d px, cap %d", ErrGIFTooLarge,
				st.Size(), fps, width, o.MaxBytes)
		}
	}
}

// hls writes an HLS ladder in one ffmpeg run: split feeds one scaler and
// encoder per tier, and var_stream_map groups each video with its audio so
// ffmpeg writes v0/index.m3u8, v1/index.m3u8 ... next to a master playlist
// (dst) that lists each variant's BANDWIDTH and RESOLUTION. Key frames are
// forced on segment boundaries so every variant switches cleanly.
func (r *Runner) hls(ctx context.Context, src, dst string, spec Spec,
	progress func(Progress)) error {
	info, err := r.Probe(ctx, src)
	if err != nil {
		return err
	}
	if info.VideoCodec == "" {
		return ErrNoVideo
	}
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating output directory: %w", err)
	}
	args, err := hlsArgs(src, dst, spec, info.HasAudio)
	if err != nil {
		return err
	}
	return r.RunFor(ctx, args, info.Duration, progress)
}

func hlsArgs(src, dst string, spec Spec, hasAudio bool) ([]string, error) {
	n := len(spec.HLSTiers)
	var labels strings.Builder
	for i := range n {
		fmt.Fprintf(&labels, "[s%d]", i)
	}
	graph := []string{fmt.Sprintf("[0:v]split=%d%s", n, labels.String())}
	var maps, enc, streamMap []string
	seg := spec.HLSSegment.Seconds()
	for i, tier := range spec.HLSTiers {
		w, h, err := Size(tier, spec.Aspect)
		if err != nil {
			return nil, err
		}
		fg, err := fitGraph(fmt.Sprintf("s%d", i), fmt.Sprintf("f%d", i), fmt.Sprint(i),
			spec.Fit, w, h)
		if err != nil {
			return nil, err
		}
		graph = append(graph, fg, fmt.Sprintf("[f%d]%sformat=yuv420p[v%d]", i,
			fpsFilter(spec.FPS), i))
		q, err := QualityFor(tier, spec.Codec)
		if err != nil {
			return nil, err
		}
		maps = append(maps, "-map", fmt.Sprintf("[v%d]", i))
		enc = append(enc, videoEncodeArgs(spec, q, fmt.Sprintf(":v:%d", i))...)
		entry := fmt.Sprintf("v:%d", i)
		if hasAudio {
			entry += fmt.Sprintf(",a:%d", i)
			enc = append(enc, "-b:a:"+fmt.Sprint(i), fmt.Sprintf("%dk", q.AudioKbps))
		}
		streamMap = append(streamMap, entry)
	}
	if hasAudio {
		for range n {
			maps = append(maps, "-map", "0:a:0")
		}
		enc = append(enc, "-c:a", "aac", "-ac", "2", "-ar", "48000")
	}
	dir := filepath.Dir(dst)
	args := []string{"-y", "-i", src, "-filter_complex", strings.Join(graph, ";")}
	args = append(args, maps...)
	args = append(args, enc...)
	args = append(args,
		"-force_key_frames", fmt.Sprintf("expr:gte(t,n_forced*%g)", seg),
		"-sc_threshold", "0",
		"-f", "hls", "-hls_time", fmt.Sprintf("%g", seg), "-hls_playlist_type", "vod",
		"-hls_segment_filename", filepath.Join(dir, "v%v", "seg%04d.ts"),
		"-master_pl_name", filepath.Base(dst),
		"-var_stream_map", strings.Join(streamMap, " "),
		filepath.Join(dir, "v%v", "index.m3u8"))
	return args, nil
}
