package media

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// smartMinClip is the shortest clip the smart path considers: shorter clips
// rarely have a key frame inside, and listing key frames would be wasted.
const smartMinClip = 2 * time.Second

// smartMaxShare is the largest share of the video that may need re-encoding
// for the smart transition path to be worth its extra ffmpeg runs.
const smartMaxShare = 0.5

// smartCut holds, for one clip, the key frames where its copied body starts
// (head) and ends (tail), in seconds from the clip start, and the decode
// time of the tail key frame (the concat demuxer's outpoint compares decode
// times, which run ahead of presentation times when there are B-frames).
type smartCut struct {
	head, tail, tailDTS float64
}

// keyFrame is a video key frame's presentation and decode time in seconds.
type keyFrame struct {
	pts, dts float64
}

// canSmart reports whether a transition-only job over copy-compatible H.264
// clips can copy the clips' bodies and re-encode only the transitions.
// Only H.264 qualifies: its sync samples are IDR frames (closed GOPs), so a
// cut at one never leaves a frame referring across it.
func canSmart(s AssembleSpec, infos []Info) bool {
	if s.Transition.Type == "" || len(infos) < 2 || infos[0].VideoCodec != "h264" {
		return false
	}
	for _, in := range infos {
		if in.Duration < smartMinClip {
			return false
		}
	}
	plain := s
	plain.Transition = Transition{}
	return canCopy(plain, infos)
}

// planSmart picks the cut points from each clip's key frames. It returns
// false when some clip has no key frame that leaves a body to copy, or when
// most of the video would be re-encoded anyway.
func planSmart(keys [][]keyFrame, lens []float64, t float64) ([]smartCut, bool) {
	n := len(lens)
	cuts := make([]smartCut, n)
	var total, reencoded float64
	for i := range n {
		total += lens[i]
		c := smartCut{head: 0, tail: lens[i]}
		if i > 0 {
			c.head = -1
			for _, k := range keys[i] {
				if k.pts >= t-1e-6 {
					c.head = k.pts
					break
				}
			}
			if c.head < 0 {
				return nil, false
			}
			reencoded += c.head
		}
		if i < n-1 {
			c.tail = -1
			for _, k := range keys[i] {
				if k.pts <= lens[i]-t+1e-6 && k.pts > 0 {
					c.tail, c.tailDTS = k.pts, k.dts
				}
			}
			if c.tail < 0 {
				return nil, false
			}
			reencoded += lens[i] - c.tail
		}
		if c.tail <= c.head {
			return nil, false
		}
		cuts[i] = c
	}
	return cuts, reencoded <= smartMaxShare*total
}

// keyFrames lists a file's video key frames.
func (r *Runner) keyFrames(ctx context.Context, path string) ([]keyFrame, error) {
	out, err := r.output(ctx, r.FFprobe, []string{"-v", "error", "-select_streams", "v:0",
		"-show_entries", "packet=pts_time,dts_time,flags", "-of", "csv=p=0", "--", path})
	if err != nil {
		return nil, fmt.Errorf("listing key frames of %q: %w", path, err)
	}
	var keys []keyFrame
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(strings.TrimSpace(line), ",")
		if len(f) != 3 || !strings.HasPrefix(f[2], "K") {
			continue
		}
		pts, err1 := strconv.ParseFloat(f[0], 64)
		dts, err2 := strconv.ParseFloat(f[1], 64)
		if err1 == nil && err2 == nil {
			keys = append(keys, keyFrame{pts: pts, dts: dts})
		}
	}
	return keys, nil
}

// smartJoin joins clips with transitions by copying each clip's body and
// re-encoding only the stretch from the last key frame before a cut to the
// first key frame after it. It needs three processes whatever the clip
// count: key frame listing (parallel ffprobe), one ffmpeg run encoding every
// transition, and one joining bodies and transitions with the concat
// demuxer (inpoint/outpoint, -c copy) while rebuilding the audio in full
// (acrossfade, AAC), which is cheap and leaves no seams between copied and
// new AAC frames. It returns false, nil when the clips do not suit it.
func (r *Runner) smartJoin(ctx context.Context, s AssembleSpec, paths []string,
	infos []Info, tmp string, progress func(Progress)) (bool, error) {
	n := len(paths)
	keys := make([][]keyFrame, n)
	errs := make([]error, n)
	lens := make([]float64, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, probeParallel)
	for i, p := range paths {
		lens[i] = infos[i].Duration.Seconds()
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			keys[i], errs[i] = r.keyFrames(ctx, p)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return false, err
	}
	t := s.Transition.Duration.Seconds()
	cuts, ok := planSmart(keys, lens, t)
	if !ok {
		return false, nil
	}
	r.logger().Info("media: assembling by smart render", "clips", n, "output", s.Output)
	segs, err := r.encodeTransitions(ctx, s, infos[0], paths, cuts, lens, tmp)
	if err != nil {
		return true, err
	}
	listPath := filepath.Join(tmp, "smart.txt")
	if err := os.WriteFile(listPath, []byte(smartList(paths, cuts, lens, segs)),
		0o600); err != nil {
		return true, fmt.Errorf("writing concat list: %w", err)
	}
	args := []string{"-y", "-f", "concat", "-safe", "0", "-i", listPath}
	p := &graphPlan{nIn: 1}
	for i, path := range paths {
		in := p.addInput("-i", path)
		d := secs6(infos[i].Duration)
		if infos[i].HasAudio {
			p.add("[%d:a]aresample=48000,%s,apad,atrim=duration=%s,"+
				"asetpts=PTS-STARTPTS[a%d]", in, audioFormat, d, i)
		} else {
			p.add("anullsrc=r=48000:cl=stereo,atrim=duration=%s,%s[a%d]", d,
				audioFormat, i)
		}
	}
	subIn := -1
	if s.Subtitles != nil {
		subIn = p.addInput("-i", s.Subtitles.Path)
	}
	prev := "a0"
	for i := 1; i < n; i++ {
		out := fmt.Sprintf("xa%d", i)
		p.add("[%s][a%d]acrossfade=d=%s:c1=tri:c2=tri[%s]", prev, i,
			secs6(s.Transition.Duration), out)
		prev = out
	}
	args = append(args, p.inputs...)
	args = append(args, "-filter_complex", strings.Join(p.graph, ";"),
		"-map", "0:v", "-map", "["+prev+"]", "-c:v", "copy")
	q, err := QualityFor(tierFor(infos[0].Width, infos[0].Height), CodecH264)
	if err != nil {
		return true, err
	}
	args = append(args, audioEncodeArgs(q.AudioKbps, "")...)
	if subIn >= 0 {
		args = append(args, "-map", fmt.Sprintf("%d:s", subIn), "-c:s", "mov_text")
		args = append(args, subtitleLangArgs(s.Subtitles)...)
	}
	args = append(args, containerArgs(s.Format)...)
	args = append(args, s.Output)
	var total float64
	for _, l := range lens {
		total += l
	}
	total -= float64(n-1) * t
	return true, r.RunFor(ctx, args, time.Duration(total*float64(time.Second)), progress)
}

// smartList writes the concat list: each clip's body between its key frames
// (inpoint = head key frame, outpoint = decode time of the tail key frame so
// that frame and its B-frames stay out, duration = the shown length), with
// the transition segments in between.
func smartList(paths []string, cuts []smartCut, lens []float64, segs []string) string {
	var b strings.Builder
	b.WriteString("ffconcat version 1.0\n")
	for i, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			abs = p
		}
		b.WriteString(concatListLine(abs))
		c := cuts[i]
		if c.head > 0 {
			fmt.Fprintf(&b, "inpoint %.6f\n", c.head)
		}
		if c.tail < lens[i] {
			fmt.Fprintf(&b, "outpoint %.6f\n", c.tailDTS)
		}
		fmt.Fprintf(&b, "duration %.6f\n", c.tail-c.head)
		if i < len(segs) {
			b.WriteString(concatListLine(segs[i]))
		}
	}
	return b.String()
}

// encodeTransitions re-encodes, in one ffmpeg run with one output per cut,
// the tail of each clip from its tail key frame cross-faded into the head
// of the next clip up to its head key frame, with parameters matching the
// copied bodies (profile, pixel format, frame rate, time scale).
func (r *Runner) encodeTransitions(ctx context.Context, s AssembleSpec, info Info,
	paths []string, cuts []smartCut, lens []float64, tmp string) ([]string, error) {
	t := s.Transition.Duration.Seconds()
	var inputs, graph, outs, segs []string
	for i := 0; i+1 < len(paths); i++ {
		a, b := 2*i, 2*i+1
		inputs = append(inputs, "-ss", strconv.FormatFloat(cuts[i].tail, 'f', 6, 64),
			"-i", paths[i], "-t", strconv.FormatFloat(cuts[i+1].head, 'f', 6, 64),
			"-i", paths[i+1])
		// Both clips share the frame rate (copy-compatible), so no fps
		// filter: after an input seek it would round a timestamp into a gap.
		graph = append(graph, fmt.Sprintf("[%d:v]settb=AVTB,setpts=PTS-STARTPTS[pa%d];"+
			"[%d:v]settb=AVTB,setpts=PTS-STARTPTS[pb%d];"+
			"[pa%d][pb%d]xfade=transition=%s:duration=%.6f:offset=%.6f,format=%s[x%d]",
			a, i, b, i, i, i, s.Transition.Type, t, lens[i]-cuts[i].tail-t, info.PixFmt, i))
		seg := filepath.Join(tmp, fmt.Sprintf("x%03d.mp4", i))
		segs = append(segs, seg)
		outs = append(outs, "-map", fmt.Sprintf("[x%d]", i), "-an", "-c:v", "libx264",
			"-preset", s.Preset, "-crf", "18", "-r", info.FrameRate)
		if p := x264Profile(info.VideoProfile); p != "" {
			outs = append(outs, "-profile:v", p)
		}
		if ts := timeScale(info.VideoTimeBase); ts != "" {
			outs = append(outs, "-video_track_timescale", ts)
		}
		outs = append(outs, "-f", "mp4", seg)
	}
	args := append([]string{"-y"}, inputs...)
	args = append(args, "-filter_complex", strings.Join(graph, ";"))
	args = append(args, outs...)
	if err := r.Run(ctx, args, nil); err != nil {
		return nil, fmt.Errorf("encoding transitions: %w", err)
	}
	return segs, nil
}

// x264Profile maps an ffprobe H.264 profile name to libx264's -profile:v.
func x264Profile(p string) string {
	switch p {
	case "Constrained Baseline", "Baseline":
		return "baseline"
	case "Main":
		return "main"
	case "High":
		return "high"
	}
	return ""
}

// timeScale returns the denominator of a "1/N" time base.
func timeScale(tb string) string {
	num, den, ok := strings.Cut(tb, "/")
	if !ok || num != "1" {
		return ""
	}
	if _, err := strconv.Atoi(den); err != nil {
		return ""
	}
	return den
}
