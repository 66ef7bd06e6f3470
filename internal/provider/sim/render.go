package sim

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/media"
	"github.com/reelforge/reelforge/internal/provider"
)

// fallbackFont is Debian's Noto Sans CJK, used when fc-match is missing.
const fallbackFont = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

// maxImageBytes bounds a downloaded image_to_video start frame.
const maxImageBytes = 20 << 20

// fps is the frame rate of every clip.
const fps = 24

// findFont returns a CJK-capable font file, or "" to let fontconfig choose.
func findFont(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "fc-match", "-f", "%{file}", "Noto Sans CJK SC").Output()
	if p := strings.TrimSpace(string(out)); err == nil && p != "" && fileExists(p) {
		return p
	}
	if fileExists(fallbackFont) {
		return fallbackFont
	}
	return ""
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// escapeOption escapes a value for a filter option inside a -filter_complex
// graph: first for the option parser (\ ' :), then for the graph parser
// (\ ' [ ] , ;).
func escapeOption(s string) string {
	return escapeChars(escapeChars(s, `\':`), `\'[],;`)
}

func escapeChars(s, special string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(special, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// textLayout picks a font size and the wrap limits for a w x h frame.
func textLayout(w, h int) (size, cols, lines int) {
	size = max(min(w, h)/18, 12)
	cols = max(int(float64(w)*0.9/(float64(size)*0.55)), 4)
	lines = max(int(float64(h)*0.7/(float64(size)*1.35)), 1)
	return size, cols, lines
}

// drawFilters returns the drawbox and drawtext chain common to videos and
// images: a box sweeping across the frame, a label naming the size, and the
// prompt read from textFile with expansion=none, so its characters are
// drawn literally whatever they are.
func (s *Sim) drawFilters(w, h int, req provider.Request, textFile string) string {
	size, _, _ := textLayout(w, h)
	font := "font=Sans"
	if s.font != "" {
		font = "fontfile=" + escapeOption(s.font)
	}
	label := fmt.Sprintf("reelforge sim · %s · %s · %dx%d", req.Model, req.AspectRatio, w, h)
	return strings.Join([]string{
		"drawbox=x=(iw-iw/6)*abs(sin(t*1.7)):y=ih*0.82:w=iw/6:h=ih/14:color=orange@0.85:t=fill",
		fmt.Sprintf("drawtext=%s:text=%s:expansion=none:fontsize=%d:fontcolor=white@0.8:"+
			"x=%d:y=%d", font, escapeOption(label), max(size/2, 10), size/3, size/3),
		fmt.Sprintf("drawtext=%s:textfile=%s:expansion=none:fontsize=%d:fontcolor=white:"+
			"line_spacing=%d:box=1:boxcolor=black@0.55:boxborderw=%d:fix_bounds=1:"+
			"x=(w-text_w)/2:y=(h-text_h)/2", font, escapeOption(textFile), size, size/4,
			size/3),
	}, ",")
}

// writePrompt wraps the prompt for a w x h frame into dir/prompt.txt.
func writePrompt(dir string, w, h int, prompt string) (string, error) {
	_, cols, lines := textLayout(w, h)
	text := wrapText(prompt, cols, lines)
	if text == "" {
		text = "(no prompt)"
	}
	p := filepath.Join(dir, "prompt.txt")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		return "", fmt.Errorf("sim: writing prompt file: %w", err)
	}
	return p, nil
}

// videoArgs builds the ffmpeg arguments of a clip: video.mp4 (H.264,
// yuv420p, faststart, AAC sine tone when audio is asked for) and cover.jpg.
func (s *Sim) videoArgs(req provider.Request, w, h int, dir, image, textFile string) []string {
	d := strconv.Itoa(req.DurationSeconds)
	var args []string
	var pre string
	if image != "" {
		args = append(args, "-loop", "1", "-framerate", strconv.Itoa(fps), "-t", d,
			"-i", "file:"+image)
		pre = fmt.Sprintf("scale=%d:%d:force_original_aspect_ratio=increase,crop=%d:%d,"+
			"setsar=1,", w, h, w, h)
	} else {
		args = append(args, "-f", "lavfi", "-i",
			fmt.Sprintf("testsrc2=size=%dx%d:rate=%d:duration=%s", w, h, fps, d))
	}
	graph := "[0:v]" + pre + s.drawFilters(w, h, req, textFile) +
		",format=yuv420p,split=2[v][c]"
	if req.Audio {
		args = append(args, "-f", "lavfi", "-i",
			"sine=frequency=440:beep_factor=4:sample_rate=48000:duration="+d)
	}
	args = append(args, "-filter_complex", graph, "-map", "[v]")
	if req.Audio {
		args = append(args, "-map", "1:a", "-c:a", "aac", "-b:a", "96k")
	}
	args = append(args, "-c:v", "libx264", "-preset", s.cfg.Preset, "-crf", "26",
		"-pix_fmt", "yuv420p", "-r", strconv.Itoa(fps), "-t", d, "-movflags", "+faststart",
		"-y", filepath.Join(dir, videoFile),
		"-map", "[c]", "-frames:v", "1", "-q:v", "4", "-y", filepath.Join(dir, coverFile))
	return args
}

// imageArgs builds the ffmpeg arguments of a text_to_image PNG.
func (s *Sim) imageArgs(req provider.Request, w, h int, dir, textFile string) []string {
	return []string{"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=%dx%d:rate=1", w, h),
		"-filter_complex", "[0:v]" + s.drawFilters(w, h, req, textFile) + "[v]",
		"-map", "[v]", "-frames:v", "1", "-y", filepath.Join(dir, imageFile)}
}

// Names of the files of a job inside its directory.
const (
	videoFile = "video.mp4"
	coverFile = "cover.jpg"
	imageFile = "image.png"
	inputFile = "input.img"
)

// fetchImage stores the start frame of an image_to_video request in dir.
// Only http(s) and base64 data: URLs are accepted: ffmpeg itself never sees
// the URL, so its other protocols cannot be reached through user input.
func (s *Sim) fetchImage(ctx context.Context, raw, dir string) (string, error) {
	dst := filepath.Join(dir, inputFile)
	var data []byte
	switch {
	case strings.HasPrefix(raw, "data:"):
		meta, payload, ok := strings.Cut(raw[len("data:"):], ",")
		if !ok || !strings.HasSuffix(meta, ";base64") {
			return "", fmt.Errorf("sim: image_url data URL must be base64")
		}
		b, err := base64.StdEncoding.DecodeString(payload)
		if err != nil {
			return "", fmt.Errorf("sim: decoding image_url: %w", err)
		}
		data = b
	case strings.HasPrefix(raw, "http://"), strings.HasPrefix(raw, "https://"):
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
		if err != nil {
			return "", fmt.Errorf("sim: building image request: %w", err)
		}
		resp, err := s.cfg.HTTPClient.Do(req)
		if err != nil {
			return "", fmt.Errorf("sim: fetching image_url: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("sim: fetching image_url: HTTP %d", resp.StatusCode)
		}
		data, err = io.ReadAll(io.LimitReader(resp.Body, maxImageBytes+1))
		if err != nil {
			return "", fmt.Errorf("sim: reading image_url: %w", err)
		}
	default:
		return "", fmt.Errorf("sim: image_url must be http(s) or a data: URL")
	}
	if len(data) > maxImageBytes || len(data) == 0 {
		return "", fmt.Errorf("sim: image_url must be 1 byte to %d MiB", maxImageBytes>>20)
	}
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		return "", fmt.Errorf("sim: storing image: %w", err)
	}
	return dst, nil
}

// render produces the job's files and returns the outputs. progress receives
// ffmpeg's fraction done.
func (s *Sim) render(ctx context.Context, j *job, progress func(float64)) (
	[]provider.Output, string, error) {
	req := j.req
	w, h, err := media.Size(req.Resolution, req.AspectRatio)
	if err != nil {
		return nil, "", fmt.Errorf("sim: sizing: %w", err)
	}
	if err := os.MkdirAll(j.dir, 0o750); err != nil {
		return nil, "", fmt.Errorf("sim: creating job dir: %w", err)
	}
	textFile, err := writePrompt(j.dir, w, h, req.Prompt)
	if err != nil {
		return nil, "", err
	}
	if req.Kind == provider.KindTextToImage {
		if err := s.runner.Run(ctx, s.imageArgs(req, w, h, j.dir, textFile), nil); err != nil {
			return nil, "", fmt.Errorf("sim: rendering image: %w", err)
		}
		progress(1)
		return []provider.Output{{URL: s.fileURL(j.id, imageFile), Kind: provider.OutputImage,
			MIME: "image/png", Width: w, Height: h}}, "", nil
	}
	var image string
	if req.Kind == provider.KindImageToVideo {
		if image, err = s.fetchImage(ctx, req.ImageURL, j.dir); err != nil {
			return nil, "", provider.NewError(provider.CodeBadRequest, err.Error())
		}
	}
	args := s.videoArgs(req, w, h, j.dir, image, textFile)
	total := time.Duration(req.DurationSeconds) * time.Second
	err = s.runner.RunFor(ctx, args, total, func(p media.Progress) { progress(p.Fraction()) })
	if err != nil {
		return nil, "", fmt.Errorf("sim: rendering video: %w", err)
	}
	info, err := s.runner.Probe(ctx, filepath.Join(j.dir, videoFile))
	if err != nil {
		return nil, "", fmt.Errorf("sim: probing render: %w", err)
	}
	return []provider.Output{{URL: s.fileURL(j.id, videoFile), Kind: provider.OutputVideo,
		MIME: "video/mp4", Width: info.Width, Height: info.Height,
		DurationSeconds: info.Duration.Seconds()}}, s.fileURL(j.id, coverFile), nil
}

func (s *Sim) fileURL(jobID, name string) string {
	return s.cfg.BaseURL + "/outputs/" + jobID + "/" + name
}
