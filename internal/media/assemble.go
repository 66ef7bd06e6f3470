package media

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// AssembleSpec describes a finished video made from shots. Only Clips and
// Output are required; every effect is off by default.
type AssembleSpec struct {
	// Clips are the shots in order.
	Clips []string
	// Intro and Outro are optional clips put before and after Clips; they
	// are treated like any other clip (transitions apply to them too).
	Intro, Outro string
	// Output is the file to write (.mp4 or .mov by Format).
	Output string
	// Format is FormatMP4 (default) or FormatMOV.
	Format Format
	// Width and Height of the output; 0 takes the first clip's display size.
	// Clips of another shape are letterboxed (FitPad).
	Width, Height int
	// FPS of the output; 0 takes the first clip's.
	FPS float64
	// Transition between consecutive clips; the zero value is a hard cut.
	Transition Transition
	// Music is an optional background track, looped to the video's length.
	Music *Music
	// Watermark is an optional logo or text drawn over the whole video.
	Watermark *Watermark
	// Speed multiplies playback speed (2 = twice as fast); 0 and 1 mean
	// unchanged. Audio is sped up with atempo, keeping its pitch.
	Speed float64
	// Subtitles are optional SRT subtitles, burned in or muxed as a track.
	// Their times refer to the finished (post-Speed) timeline.
	Subtitles *Subtitles
	// Loudnorm normalises the final mix to -16 LUFS (EBU R128), the level
	// most platforms play at.
	Loudnorm bool
	// Codec is the video codec when re-encoding; default CodecH264. The bit
	// rate follows the output's tier (see QualityFor).
	Codec Codec
	// Preset is the encoder speed preset when re-encoding; default
	// DefaultPreset.
	Preset string
}

// Transition is a cross-transition between two clips. Video uses ffmpeg's
// xfade filter; audio is cross-faded with acrossfade over the same time.
type Transition struct {
	// Type is an xfade transition name: "fade", "dissolve", "wipeleft",
	// "wiperight", "slideleft", "slideright", "circleopen", ... (see
	// Transitions). Empty means a hard cut.
	Type string
	// Duration of the overlap; default 0.5s. Each transition shortens the
	// result by this much, so it must be shorter than every clip.
	Duration time.Duration
}

// Transitions lists the xfade transition names accepted in Transition.Type
// (those FFmpeg 5.1 ships).
var Transitions = []string{"fade", "wipeleft", "wiperight", "wipeup", "wipedown",
	"slideleft", "slideright", "slideup", "slidedown", "circlecrop", "rectcrop",
	"distance", "fadeblack", "fadewhite", "radial", "smoothleft", "smoothright",
	"smoothup", "smoothdown", "circleopen", "circleclose", "vertopen", "vertclose",
	"horzopen", "horzclose", "dissolve", "pixelize", "diagtl", "diagtr", "diagbl",
	"diagbr", "hlslice", "hrslice", "vuslice", "vdslice", "hblur", "fadegrays",
	"wipetl", "wipetr", "wipebl", "wipebr", "squeezeh", "squeezev", "zoomin"}

// Music is a background track mixed under the clips' own audio.
type Music struct {
	// Path of the audio file; it loops if shorter than the video.
	Path string
	// Volume is a linear gain for the music; default 0.3.
	Volume float64
	// Duck lowers the music while the clips' own audio is loud
	// (sidechaincompress keyed by the clip audio), so dialogue stays clear.
	Duck bool
	// FadeIn and FadeOut at the start and end of the video; default 1s each,
	// shortened to fit very short videos.
	FadeIn, FadeOut time.Duration
}

// Position places a watermark.
type Position string

// Watermark positions. The default is BottomRight.
const (
	TopLeft     Position = "top-left"
	TopRight    Position = "top-right"
	BottomLeft  Position = "bottom-left"
	BottomRight Position = "bottom-right"
	Center      Position = "center"
)

// Watermark is a logo image or a line of text drawn over the video. Set
// exactly one of Image and Text.
type Watermark struct {
	// Image is a PNG (with alpha) or other still image.
	Image string
	// Text is drawn in Noto Sans CJK SC, so Chinese and Japanese work.
	Text string
	// Position; default BottomRight.
	Position Position
	// Opacity from 0 to 1; default 0.6.
	Opacity float64
	// Width of the image as a fraction of the video width; default 0.15.
	Width float64
	// Margin from the edges in pixels; default 2.5% of the video height.
	Margin int
}

// Subtitles are an SRT file added to the video.
type Subtitles struct {
	// Path of a UTF-8 SRT file.
	Path string
	// Burn renders the text into the picture (libass, with FontName=Noto
	// Sans CJK SC); otherwise the subtitles become a soft mov_text track.
	Burn bool
	// Language is an ISO 639-2 code for a soft track, e.g. "chi"; optional.
	Language string
}

// subtitleFont is forced on burned subtitles so CJK text renders.
const subtitleFont = "Noto Sans CJK SC"

// Assemble joins the clips into spec.Output. When every input has the same
// codec parameters (codec, profile, size, frame rate, pixel format, time
// base and audio layout, per Probe) and no effect needs re-encoding, the
// clips are joined with the concat demuxer and -c copy: no quality loss and
// about as fast as copying the files. Otherwise each input is normalised to
// the target size, frame rate, yuv420p and 48 kHz stereo (clips without audio
// get silence from anullsrc) and joined in one filter graph.
//
// With a transition as the only effect over such copy-compatible H.264 clips
// whose key frames are close enough, only the stretch around each cut is
// re-encoded (from the last key frame before the transition to the first
// after it) and the rest of every clip is copied; the audio track is rebuilt
// in full. Otherwise the whole video is re-encoded.
func (r *Runner) Assemble(ctx context.Context, spec AssembleSpec,
	progress func(Progress)) error {
	if err := r.assemble(ctx, spec, progress); err != nil {
		return fmt.Errorf("media: assembling %q: %w", spec.Output, err)
	}
	return nil
}

func (r *Runner) assemble(ctx context.Context, spec AssembleSpec,
	progress func(Progress)) error {
	spec, err := spec.validate()
	if err != nil {
		return err
	}
	paths := spec.segments()
	infos, err := r.ProbeAll(ctx, paths)
	if err != nil {
		return err
	}
	for i, p := range paths {
		if infos[i].VideoCodec == "" || infos[i].Duration <= 0 {
			return fmt.Errorf("%w: %q", ErrNoVideo, p)
		}
		if t := spec.Transition; t.Type != "" && len(paths) > 1 &&
			t.Duration >= infos[i].Duration {
			return fmt.Errorf("%w: %v transition longer than %q (%v)", ErrInvalidSpec,
				t.Duration, p, infos[i].Duration)
		}
	}
	if err := mkParent(spec.Output); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "reelforge-media-")
	if err != nil {
		return fmt.Errorf("creating temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	if canCopy(spec, infos) {
		r.logger().Info("media: assembling by stream copy", "clips", len(paths),
			"output", spec.Output)
		return r.concatCopy(ctx, spec, paths, infos, tmp, progress)
	}
	if canSmart(spec, infos) {
		done, err := r.smartJoin(ctx, spec, paths, infos, tmp, progress)
		if done || ctx.Err() != nil {
			return errors.Join(err, ctx.Err())
		}
		if err != nil {
			// Key frames could not be listed; the full re-encode still works.
			r.logger().Warn("media: smart render unavailable", "error", err)
		}
	}
	r.logger().Info("media: assembling by re-encode", "clips", len(paths),
		"output", spec.Output)
	plan, err := newGraphPlan(spec, paths, infos, tmp)
	if err != nil {
		return err
	}
	return r.RunFor(ctx, plan.args(), plan.outDur, progress)
}

// validate checks spec and fills defaults.
func (s AssembleSpec) validate() (AssembleSpec, error) {
	if len(s.Clips) == 0 {
		return s, fmt.Errorf("%w: no clips", ErrInvalidSpec)
	}
	if s.Output == "" {
		return s, fmt.Errorf("%w: no output path", ErrInvalidSpec)
	}
	if s.Format == "" {
		s.Format = FormatMP4
	}
	if s.Format != FormatMP4 && s.Format != FormatMOV {
		return s, fmt.Errorf("%w: assemble writes mp4 or mov, not %q", ErrInvalidSpec,
			s.Format)
	}
	if (s.Width == 0) != (s.Height == 0) || s.Width < 0 || s.Height < 0 ||
		s.Width%2 != 0 || s.Height%2 != 0 {
		return s, fmt.Errorf("%w: size %dx%d must be even or both zero", ErrInvalidSpec,
			s.Width, s.Height)
	}
	if s.Speed == 0 {
		s.Speed = 1
	}
	if s.Speed < 0.25 || s.Speed > 4 {
		return s, fmt.Errorf("%w: speed %g outside 0.25..4", ErrInvalidSpec, s.Speed)
	}
	if s.Transition.Type != "" {
		if !validTransition(s.Transition.Type) {
			return s, fmt.Errorf("%w: unknown transition %q", ErrInvalidSpec,
				s.Transition.Type)
		}
		if s.Transition.Duration == 0 {
			s.Transition.Duration = 500 * time.Millisecond
		}
		if s.Transition.Duration < 0 {
			return s, fmt.Errorf("%w: negative transition", ErrInvalidSpec)
		}
	}
	if w := s.Watermark; w != nil {
		if (w.Image == "") == (w.Text == "") {
			return s, fmt.Errorf("%w: watermark needs exactly one of image and text",
				ErrInvalidSpec)
		}
		if w.Opacity < 0 || w.Opacity > 1 || w.Width < 0 || w.Width > 1 {
			return s, fmt.Errorf("%w: watermark opacity/width outside 0..1",
				ErrInvalidSpec)
		}
		if _, ok := overlayXY[w.Position]; !ok && w.Position != "" {
			return s, fmt.Errorf("%w: unknown watermark position %q", ErrInvalidSpec,
				w.Position)
		}
	}
	if s.Music != nil && s.Music.Path == "" {
		return s, fmt.Errorf("%w: music without a path", ErrInvalidSpec)
	}
	if s.Subtitles != nil && s.Subtitles.Path == "" {
		return s, fmt.Errorf("%w: subtitles without a path", ErrInvalidSpec)
	}
	if s.Codec == "" {
		s.Codec = CodecH264
	}
	if s.Preset == "" {
		s.Preset = DefaultPreset
	}
	return s, nil
}

func validTransition(name string) bool {
	for _, t := range Transitions {
		if t == name {
			return true
		}
	}
	return false
}

// segments returns intro, clips and outro in playing order.
func (s AssembleSpec) segments() []string {
	var out []string
	if s.Intro != "" {
		out = append(out, s.Intro)
	}
	out = append(out, s.Clips...)
	if s.Outro != "" {
		out = append(out, s.Outro)
	}
	return out
}

// canCopy reports whether the clips can be joined without re-encoding: no
// effect that touches pixels or samples, and identical stream parameters.
func canCopy(s AssembleSpec, infos []Info) bool {
	if s.Transition.Type != "" || s.Music != nil || s.Watermark != nil ||
		s.Speed != 1 || s.Loudnorm || (s.Subtitles != nil && s.Subtitles.Burn) {
		return false
	}
	first := infos[0]
	if s.Width != 0 && (s.Width != first.Width || s.Height != first.Height) {
		return false
	}
	if s.FPS != 0 && s.FPS != first.FPS {
		return false
	}
	if first.Rotation != 0 {
		return false
	}
	for _, in := range infos[1:] {
		if in.VideoCodec != first.VideoCodec || in.VideoProfile != first.VideoProfile ||
			in.Width != first.Width || in.Height != first.Height ||
			in.FrameRate != first.FrameRate || in.PixFmt != first.PixFmt ||
			in.VideoTimeBase != first.VideoTimeBase || in.Rotation != 0 ||
			in.HasAudio != first.HasAudio || in.AudioCodec != first.AudioCodec ||
			in.SampleRate != first.SampleRate || in.Channels != first.Channels {
			return false
		}
	}
	return true
}

// concatCopy joins paths with the concat demuxer and stream copy.
func (r *Runner) concatCopy(ctx context.Context, s AssembleSpec, paths []string,
	infos []Info, tmp string, progress func(Progress)) error {
	var list strings.Builder
	list.WriteString("ffconcat version 1.0\n")
	var total time.Duration
	for i, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return fmt.Errorf("resolving %q: %w", p, err)
		}
		list.WriteString(concatListLine(abs))
		total += infos[i].Duration
	}
	listPath := filepath.Join(tmp, "concat.txt")
	if err := os.WriteFile(listPath, []byte(list.String()), 0o600); err != nil {
		return fmt.Errorf("writing concat list: %w", err)
	}
	args := []string{"-y", "-f", "concat", "-safe", "0", "-i", listPath}
	if s.Subtitles != nil {
		args = append(args, "-i", s.Subtitles.Path, "-map", "0:v", "-map", "0:a?",
			"-map", "1:s", "-c", "copy", "-c:s", "mov_text")
		args = append(args, subtitleLangArgs(s.Subtitles)...)
	} else {
		args = append(args, "-map", "0", "-c", "copy")
	}
	args = append(args, containerArgs(s.Format)...)
	args = append(args, s.Output)
	return r.RunFor(ctx, args, total, progress)
}

func subtitleLangArgs(s *Subtitles) []string {
	if s.Language == "" {
		return nil
	}
	return []string{"-metadata:s:s:0", "language=" + s.Language}
}
