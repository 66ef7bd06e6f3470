package media

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// posterWindow is how much of the start of a clip Poster considers. Generated
// clips often open on a fade or a half-formed frame, so the representative
// frame is chosen from this window rather than taken at time zero.
const posterWindow = 4 * time.Second

// Poster writes one representative frame of src to dst (format from the
// extension: .jpg, .png, .webp), scaled to width pixels wide (0 keeps the
// source width). The frame is picked by ffmpeg's thumbnail filter, which
// chooses the frame closest to the average histogram of the first seconds,
// skipping frame 0.
func (r *Runner) Poster(ctx context.Context, src, dst string, width int) error {
	info, err := r.Probe(ctx, src)
	if err != nil {
		return fmt.Errorf("media: making poster of %q: %w", src, err)
	}
	if info.VideoCodec == "" {
		return fmt.Errorf("media: making poster of %q: %w", src, ErrNoVideo)
	}
	window := min(info.Duration, posterWindow)
	fps := info.FPS
	if fps <= 0 {
		fps = 25
	}
	n := max(int(window.Seconds()*fps), 2)
	vf := fmt.Sprintf("trim=start_frame=1,thumbnail=%d%s", n, scaleTo(width))
	args := []string{"-y", "-t", secs(window + time.Second), "-i", src, "-vf", vf,
		"-frames:v", "1"}
	args = append(append(args, imageArgs(dst)...), dst)
	if err := mkParent(dst); err != nil {
		return fmt.Errorf("media: making poster of %q: %w", src, err)
	}
	if err := r.Run(ctx, args, nil); err != nil {
		return fmt.Errorf("media: making poster of %q: %w", src, err)
	}
	return nil
}

// ContactSheet writes a cols x rows grid of frames spread evenly over src to
// dst, the whole sheet scaled to width pixels wide (0 means 1280). Frames are
// picked by the select filter, one from the middle of each of cols*rows equal
// parts of the clip, and laid out by the tile filter with small dark gaps.
func (r *Runner) ContactSheet(ctx context.Context, src, dst string, cols, rows,
	width int) error {
	if cols <= 0 || rows <= 0 || cols*rows > 400 {
		return fmt.Errorf("media: making contact sheet of %q: %w: %dx%d grid", src,
			ErrInvalidSpec, cols, rows)
	}
	if width <= 0 {
		width = 1280
	}
	info, err := r.Probe(ctx, src)
	if err != nil {
		return fmt.Errorf("media: making contact sheet of %q: %w", src, err)
	}
	if info.VideoCodec == "" || info.Duration <= 0 {
		return fmt.Errorf("media: making contact sheet of %q: %w", src, ErrNoVideo)
	}
	n := cols * rows
	frames := info.Frames
	if frames <= 0 {
		frames = int64(info.Duration.Seconds() * max(info.FPS, 1))
	}
	// Cut the clip into n equal runs of frames and keep the frame nearest
	// the middle of each: k = n/frames, frame i is kept when floor(i*k-0.5)
	// steps up. Counting frames instead of seconds avoids rounding drift.
	k := min(float64(n)/float64(max(frames, 1)), 1)
	sel := fmt.Sprintf(`select=gt(floor(n*%[1]g-0.5)\,floor((n-1)*%[1]g-0.5))`+
		`*gte(n*%[1]g-0.5\,0)`, k)
	cell := max(evenRound(float64(width)/float64(cols)), 16)
	vf := fmt.Sprintf("%s,scale=%d:-2,tile=%dx%d:padding=4:margin=4:color=0x202020,"+
		"scale=%d:-2", sel, cell, cols, rows, width)
	args := []string{"-y", "-i", src, "-vf", vf, "-frames:v", "1"}
	args = append(append(args, imageArgs(dst)...), dst)
	if err := mkParent(dst); err != nil {
		return fmt.Errorf("media: making contact sheet of %q: %w", src, err)
	}
	if err := r.Run(ctx, args, nil); err != nil {
		return fmt.Errorf("media: making contact sheet of %q: %w", src, err)
	}
	return nil
}

// scaleTo returns ",scale=W:-2" or "" for width 0.
func scaleTo(width int) string {
	if width <= 0 {
		return ""
	}
	return fmt.Sprintf(",scale=%d:-2", width)
}

// imageArgs returns encoder options for a still image chosen by extension.
func imageArgs(dst string) []string {
	switch strings.ToLower(filepath.Ext(dst)) {
	case ".png":
		return []string{"-c:v", "png", "-f", "image2", "-update", "1"}
	case ".webp":
		return []string{"-c:v", "libwebp", "-quality", "85", "-f", "image2", "-update", "1"}
	}
	return []string{"-c:v", "mjpeg", "-q:v", "3", "-pix_fmt", "yuvj420p", "-f", "image2",
		"-update", "1"}
}

func mkParent(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating output directory: %w", err)
	}
	return nil
}

// secs formats d as decimal seconds for ffmpeg options.
func secs(d time.Duration) string {
	return fmt.Sprintf("%.3f", d.Seconds())
}
