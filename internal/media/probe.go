package media

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Info is what Probe learns about a media file. Sizes are display sizes: a
// phone video stored as 1920x1080 with a 90° rotation reports 1080x1920.
type Info struct {
	// Duration of the container (falls back to the video stream's).
	Duration time.Duration
	// Width and Height are the display size after rotation.
	Width, Height int
	// Rotation is the clockwise rotation a player applies: 0, 90, 180 or 270.
	Rotation int
	// FPS is the video stream's r_frame_rate as a number (e.g. 29.97).
	FPS float64
	// FrameRate is r_frame_rate as ffprobe printed it ("30000/1001"), kept so
	// that equal rates compare exactly.
	FrameRate string
	// VideoCodec and AudioCodec are ffprobe codec names ("h264", "aac");
	// empty when the stream is absent.
	VideoCodec, AudioCodec string
	// PixFmt is the video pixel format ("yuv420p").
	PixFmt string
	// VideoProfile is the codec profile ("High"), used to decide whether
	// clips can be joined without re-encoding.
	VideoProfile string
	// VideoTimeBase is the video stream time base ("1/12800").
	VideoTimeBase string
	// Frames is the video stream's frame count when the container records it.
	Frames int64
	// HasAudio reports an audio stream.
	HasAudio bool
	// SampleRate and Channels describe the first audio stream.
	SampleRate, Channels int
	// Bitrate is the overall bit rate in bits per second.
	Bitrate int64
	// SizeBytes is the file size.
	SizeBytes int64
	// FormatName is ffprobe's format name ("mov,mp4,m4a,3gp,3g2,mj2", "gif").
	FormatName string
	// MajorBrand is the ISO/QuickTime brand, which tells MOV ("qt  ") from
	// MP4 ("isom", "mp42") since ffprobe names both formats alike.
	MajorBrand string
}

// Probe runs ffprobe on path and parses the result. Results are cached per
// file (see Config.ProbeCache) until the file's size or modification time
// changes.
func (r *Runner) Probe(ctx context.Context, path string) (Info, error) {
	if info, ok := r.cache.get(path); ok {
		return info, nil
	}
	args := []string{"-v", "error", "-print_format", "json", "-show_format",
		"-show_streams", "--", path}
	out, err := r.output(ctx, r.FFprobe, args)
	if err != nil {
		return Info{}, fmt.Errorf("media: probing %q: %w", path, err)
	}
	info, err := parseProbe(out)
	if err != nil {
		return Info{}, fmt.Errorf("media: probing %q: %w", path, err)
	}
	r.cache.put(path, info)
	return info, nil
}

// probeParallel bounds concurrent ffprobe processes in ProbeAll. Most of a
// probe's ~60ms is process start-up, which overlaps well.
const probeParallel = 4

// ProbeAll probes paths concurrently (a few at a time) and returns their
// Info in the same order, or the first error.
func (r *Runner) ProbeAll(ctx context.Context, paths []string) ([]Info, error) {
	infos := make([]Info, len(paths))
	errs := make([]error, len(paths))
	sem := make(chan struct{}, probeParallel)
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			infos[i], errs[i] = r.Probe(ctx, p)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return infos, nil
}

type probeJSON struct {
	Streams []probeStream `json:"streams"`
	Format  struct {
		FormatName string            `json:"format_name"`
		Duration   string            `json:"duration"`
		Size       string            `json:"size"`
		BitRate    string            `json:"bit_rate"`
		Tags       map[string]string `json:"tags"`
	} `json:"format"`
}

type probeStream struct {
	CodecType    string            `json:"codec_type"`
	CodecName    string            `json:"codec_name"`
	Profile      string            `json:"profile"`
	Width        int               `json:"width"`
	Height       int               `json:"height"`
	PixFmt       string            `json:"pix_fmt"`
	RFrameRate   string            `json:"r_frame_rate"`
	TimeBase     string            `json:"time_base"`
	Duration     string            `json:"duration"`
	NbFrames     string            `json:"nb_frames"`
	SampleRate   string            `json:"sample_rate"`
	Channels     int               `json:"channels"`
	Tags         map[string]string `json:"tags"`
	SideDataList []struct {
		SideDataType string   `json:"side_data_type"`
		Rotation     *float64 `json:"rotation"`
	} `json:"side_data_list"`
	Disposition map[string]int `json:"disposition"`
}

// parseProbe turns ffprobe's JSON into Info. It never panics on bad input.
func parseProbe(data []byte) (Info, error) {
	var pj probeJSON
	if err := json.Unmarshal(data, &pj); err != nil {
		return Info{}, fmt.Errorf("decoding ffprobe json: %w", err)
	}
	var info Info
	info.FormatName = pj.Format.FormatName
	info.MajorBrand = pj.Format.Tags["major_brand"]
	info.Duration = parseSeconds(pj.Format.Duration)
	info.SizeBytes, _ = strconv.ParseInt(pj.Format.Size, 10, 64)
	info.Bitrate, _ = strconv.ParseInt(pj.Format.BitRate, 10, 64)
	var haveVideo bool
	for _, s := range pj.Streams {
		switch s.CodecType {
		case "video":
			// Cover art is a video stream too; skip it when a real one exists.
			if haveVideo || s.Disposition["attached_pic"] == 1 {
				continue
			}
			haveVideo = true
			info.VideoCodec = s.CodecName
			info.VideoProfile = s.Profile
			info.PixFmt = s.PixFmt
			info.FrameRate = s.RFrameRate
			info.FPS = parseRate(s.RFrameRate)
			info.VideoTimeBase = s.TimeBase
			info.Frames, _ = strconv.ParseInt(s.NbFrames, 10, 64)
			info.Rotation = streamRotation(s)
			info.Width, info.Height = s.Width, s.Height
			if info.Rotation == 90 || info.Rotation == 270 {
				info.Width, info.Height = s.Height, s.Width
			}
			if info.Duration <= 0 {
				info.Duration = parseSeconds(s.Duration)
			}
		case "audio":
			if info.HasAudio {
				continue
			}
			info.HasAudio = true
			info.AudioCodec = s.CodecName
			info.SampleRate, _ = strconv.Atoi(s.SampleRate)
			info.Channels = s.Channels
		}
	}
	if info.Width < 0 || info.Height < 0 {
		info.Width, info.Height = 0, 0
	}
	return info, nil
}

// streamRotation returns the clockwise display rotation in {0,90,180,270}.
// ffprobe 5+ reports a display matrix whose "rotation" is counter-clockwise
// (-90 for a portrait phone clip); older files carry tags.rotate=90.
func streamRotation(s probeStream) int {
	for _, sd := range s.SideDataList {
		if sd.Rotation != nil && strings.EqualFold(sd.SideDataType, "Display Matrix") {
			return normaliseRotation(-*sd.Rotation)
		}
	}
	if v, ok := s.Tags["rotate"]; ok {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return normaliseRotation(f)
		}
	}
	return 0
}

// normaliseRotation snaps degrees to the nearest quarter turn in [0, 360).
func normaliseRotation(deg float64) int {
	if math.IsNaN(deg) || math.IsInf(deg, 0) || math.Abs(deg) > 1e6 {
		return 0
	}
	q := int(math.Round(deg/90)) % 4
	if q < 0 {
		q += 4
	}
	return q * 90
}

// parseSeconds parses ffprobe's decimal seconds; bad or negative input is 0.
func parseSeconds(s string) time.Duration {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || math.IsNaN(f) || f > 1e9 {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

// parseRate parses a rate such as "30000/1001" or "25"; invalid input is 0.
func parseRate(s string) float64 {
	num, den, found := strings.Cut(s, "/")
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n <= 0 || math.IsInf(n, 0) {
		return 0
	}
	if !found {
		return n
	}
	d, err := strconv.ParseFloat(den, 64)
	if err != nil || d <= 0 || math.IsInf(d, 0) {
		return 0
	}
	return n / d
}
