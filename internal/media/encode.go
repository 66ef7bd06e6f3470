package media

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Format is the container of an output.
type Format string

// Output formats. The default is FormatMP4.
const (
	// FormatMP4 is H.264/HEVC + AAC in MP4 with the index moved to the front
	// (+faststart) so browsers can start playing before the download ends.
	FormatMP4 Format = "mp4"
	// FormatMOV is the same streams in a QuickTime container, for editors.
	FormatMOV Format = "mov"
	// FormatGIF is an animated GIF with an optimised palette, kept under
	// GIFOptions.MaxBytes. No audio.
	FormatGIF Format = "gif"
	// FormatHLS is a master playlist plus one variant per Spec.HLSTiers.
	FormatHLS Format = "hls"
)

// DefaultPreset is the x264/x265 speed preset used when Spec.Preset is empty.
const DefaultPreset = "medium"

// Spec describes one deliverable. The zero value is a 1080p 16:9 padded
// H.264 MP4 at the source frame rate.
type Spec struct {
	// Tier is the resolution tier (Tier720p ... Tier4K). Default 1080p.
	Tier string
	// Aspect is the aspect ratio (Aspect9x16 ...). Default 16:9.
	Aspect string
	// Fit is how a differently shaped source is fitted. Default FitPad.
	Fit Fit
	// Codec is the video codec. Default CodecH264. Ignored for GIF.
	Codec Codec
	// Format is the container. Default FormatMP4.
	Format Format
	// Preset is the encoder speed preset ("ultrafast" ... "veryslow").
	// Default DefaultPreset.
	Preset string
	// FPS forces an output frame rate; 0 keeps the source's.
	FPS float64
	// GIF tunes FormatGIF output.
	GIF GIFOptions
	// HLSTiers are the variants of FormatHLS, all in Aspect. Default 720p
	// and 1080p.
	HLSTiers []string
	// HLSSegment is the HLS segment length. Default 4s.
	HLSSegment time.Duration
}

// withDefaults fills zero fields.
func (s Spec) withDefaults() Spec {
	if s.Tier == "" {
		s.Tier = defaultTier
	}
	if s.Aspect == "" {
		s.Aspect = defaultAsp
	}
	if s.Fit == "" {
		s.Fit = FitPad
	}
	if s.Codec == "" {
		s.Codec = CodecH264
	}
	if s.Format == "" {
		s.Format = FormatMP4
	}
	if s.Preset == "" {
		s.Preset = DefaultPreset
	}
	if len(s.HLSTiers) == 0 {
		s.HLSTiers = []string{Tier720p, Tier1080p}
	}
	if s.HLSSegment <= 0 {
		s.HLSSegment = 4 * time.Second
	}
	return s
}

// Output is one file of a Renditions run.
type Output struct {
	// Path is where the file is written; parent directories are created.
	Path string
	// Spec describes the file. Only FormatMP4 and FormatMOV are allowed.
	Spec Spec
}

// Transcode renders src into dst as spec describes. MP4 and MOV go through
// the same path as Renditions; GIF and HLS have their own pipelines (for HLS,
// dst is the master playlist and variants go in subdirectories v0, v1...).
func (r *Runner) Transcode(ctx context.Context, src, dst string, spec Spec,
	progress func(Progress)) error {
	spec = spec.withDefaults()
	var err error
	switch spec.Format {
	case FormatMP4, FormatMOV:
		err = r.renditions(ctx, src, []Output{{Path: dst, Spec: spec}}, progress)
	case FormatGIF:
		err = r.gif(ctx, src, dst, spec, progress)
	case FormatHLS:
		err = r.hls(ctx, src, dst, spec, progress)
	default:
		err = fmt.Errorf("%w: unknown format %q", ErrInvalidSpec, spec.Format)
	}
	if err != nil {
		return fmt.Errorf("media: transcoding %q to %q: %w", src, dst, err)
	}
	return nil
}

// Renditions renders src into every output in one ffmpeg run: the source is
// decoded once and the split filter feeds one scaler and encoder per output,
// which saves the repeated decode of separate runs.
func (r *Runner) Renditions(ctx context.Context, src string, outs []Output,
	progress func(Progress)) error {
	if err := r.renditions(ctx, src, outs, progress); err != nil {
		return fmt.Errorf("media: rendering %d renditions of %q: %w", len(outs), src, err)
	}
	return nil
}

func (r *Runner) renditions(ctx context.Context, src string, outs []Output,
	progress func(Progress)) error {
	if len(outs) == 0 {
		return fmt.Errorf("%w: no outputs", ErrInvalidSpec)
	}
	// Probing costs a process start; it is only needed for the progress
	// fraction. Without it, audio is mapped optionally ("0:a:0?").
	var total time.Duration
	if progress != nil {
		info, err := r.Probe(ctx, src)
		if err != nil {
			return err
		}
		if info.VideoCodec == "" {
			return ErrNoVideo
		}
		total = info.Duration
	}
	args, err := renditionArgs(src, outs)
	if err != nil {
		return err
	}
	for _, o := range outs {
		if err := os.MkdirAll(filepath.Dir(o.Path), 0o755); err != nil {
			return fmt.Errorf("creating output directory: %w", err)
		}
	}
	return r.RunFor(ctx, args, total, progress)
}

// renditionArgs builds the single-run split command for outs.
func renditionArgs(src string, outs []Output) ([]string, error) {
	var graph []string
	n := len(outs)
	if n == 1 {
		graph = append(graph, "[0:v]null[s0]")
	} else {
		var labels strings.Builder
		for i := range n {
			fmt.Fprintf(&labels, "[s%d]", i)
		}
		graph = append(graph, fmt.Sprintf("[0:v]split=%d%s", n, labels.String()))
	}
	var tail []string
	for i, o := range outs {
		spec := o.Spec.withDefaults()
		if spec.Format != FormatMP4 && spec.Format != FormatMOV {
			return nil, fmt.Errorf("%w: renditions support mp4 and mov, not %q",
				ErrInvalidSpec, spec.Format)
		}
		w, h, err := Size(spec.Tier, spec.Aspect)
		if err != nil {
			return nil, err
		}
		fg, err := fitGraph(fmt.Sprintf("s%d", i), fmt.Sprintf("f%d", i), strconv.Itoa(i),
			spec.Fit, w, h)
		if err != nil {
			return nil, err
		}
		graph = append(graph, fg, fmt.Sprintf("[f%d]%sformat=yuv420p[v%d]", i,
			fpsFilter(spec.FPS), i))
		q, err := QualityFor(spec.Tier, spec.Codec)
		if err != nil {
			return nil, err
		}
		tail = append(tail, "-map", fmt.Sprintf("[v%d]", i))
		tail = append(tail, videoEncodeArgs(spec, q, "")...)
		tail = append(tail, "-map", "0:a:0?")
		tail = append(tail, audioEncodeArgs(q.AudioKbps, "")...)
		tail = append(tail, containerArgs(spec.Format)...)
		tail = append(tail, o.Path)
	}
	args := []string{"-y", "-i", src, "-filter_complex", strings.Join(graph, ";")}
	return append(args, tail...), nil
}

// fpsFilter returns "fps=N," or "" when fps is zero.
func fpsFilter(fps float64) string {
	if fps <= 0 {
		return ""
	}
	return "fps=" + strconv.FormatFloat(fps, 'f', -1, 64) + ","
}

// videoEncodeArgs returns encoder options; suffix selects a stream
// (":0" for the first video output stream) or is empty.
func videoEncodeArgs(spec Spec, q Quality, suffix string) []string {
	enc := "libx264"
	if spec.Codec == CodecHEVC {
		enc = "libx265"
	}
	args := []string{
		"-c:v" + suffix, enc,
		"-preset" + suffix, spec.Preset,
		"-b:v" + suffix, fmt.Sprintf("%dk", q.VideoKbps),
		"-maxrate" + suffix, fmt.Sprintf("%dk", q.MaxKbps),
		"-bufsize" + suffix, fmt.Sprintf("%dk", q.BufKbits),
	}
	if spec.Codec == CodecHEVC {
		args = append(args, "-tag:v"+suffix, "hvc1", "-x265-params"+suffix, "log-level=error")
	}
	return args
}

// audioEncodeArgs returns AAC stereo 48 kHz options.
func audioEncodeArgs(kbps int, suffix string) []string {
	return []string{"-c:a" + suffix, "aac", "-b:a" + suffix, fmt.Sprintf("%dk", kbps),
		"-ac" + suffix, "2", "-ar" + suffix, "48000"}
}

// containerArgs returns muxer options for f.
func containerArgs(f Format) []string {
	if f == FormatMOV {
		return []string{"-f", "mov"}
	}
	return []string{"-movflags", "+faststart", "-f", "mp4"}
}
