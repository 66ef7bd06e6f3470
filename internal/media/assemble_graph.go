package media

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// graphPlan is the ffmpeg command of a re-encoding assembly.
type graphPlan struct {
	inputs []string // "-i" arguments and their options, in input order
	nIn    int
	graph  []string // filter_complex chains, joined with ";"
	tail   []string // maps, encoders, muxer and output
	outDur time.Duration
}

func (p *graphPlan) addInput(args ...string) int {
	p.inputs = append(p.inputs, args...)
	p.nIn++
	return p.nIn - 1
}

func (p *graphPlan) add(format string, a ...any) {
	p.graph = append(p.graph, fmt.Sprintf(format, a...))
}

func (p *graphPlan) args() []string {
	args := append([]string{"-y"}, p.inputs...)
	args = append(args, "-filter_complex", strings.Join(p.graph, ";"))
	return append(args, p.tail...)
}

// newGraphPlan builds the normalise-and-join command. Every clip becomes
// [vN] and [aN] of exactly its probed duration at the target format, so
// concat or the xfade/acrossfade chain line up; effects follow on the
// joined streams in the order speed, watermark, subtitles (video) and
// speed, music, loudness (audio).
func newGraphPlan(s AssembleSpec, paths []string, infos []Info, tmp string) (
	*graphPlan, error) {
	p := &graphPlan{}
	w, h := s.Width, s.Height
	if w == 0 {
		w, h = infos[0].Width+infos[0].Width%2, infos[0].Height+infos[0].Height%2
	}
	// Keep the first clip's exact rational rate (30000/1001, not 29.97).
	fpsText := infos[0].FrameRate
	if s.FPS > 0 {
		fpsText = fmt.Sprintf("%.6g", s.FPS)
	}
	fps := parseRate(fpsText)
	if fps <= 0 || fps > 240 {
		fps, fpsText = 30, "30"
	}
	lens := make([]time.Duration, len(paths))
	for i, path := range paths {
		in := p.addInput("-i", path)
		// Round each clip to whole frames so video and audio agree exactly.
		frames := math.Max(1, math.Round(infos[i].Duration.Seconds()*fps))
		lens[i] = time.Duration(frames / fps * float64(time.Second))
		d := secs6(lens[i])
		fg, err := fitGraph(fmt.Sprintf("%d:v", in), fmt.Sprintf("fit%d", i),
			fmt.Sprintf("c%d", i), FitPad, w, h)
		if err != nil {
			return nil, err
		}
		p.graph = append(p.graph, fg)
		p.add("[fit%d]fps=%s,format=yuv420p,tpad=stop_mode=clone:stop_duration=1,"+
			"trim=duration=%s,setpts=PTS-STARTPTS,settb=AVTB[v%d]", i, fpsText, d, i)
		if infos[i].HasAudio {
			p.add("[%d:a]aresample=48000,%s,apad,atrim=duration=%s,"+
				"asetpts=PTS-STARTPTS[a%d]", in, audioFormat, d, i)
		} else {
			p.add("anullsrc=r=48000:cl=stereo,atrim=duration=%s,%s[a%d]", d,
				audioFormat, i)
		}
	}
	joined := join(p, s.Transition, lens)
	p.outDur = time.Duration(float64(joined) / s.Speed)

	v, a := "vj", "aj"
	if s.Speed != 1 {
		p.add("[%s]setpts=PTS/%g,fps=%s[vs]", v, s.Speed, fpsText)
		p.add("[%s]%s[as]", a, atempoChain(s.Speed))
		v, a = "vs", "as"
	}
	if s.Watermark != nil {
		var err error
		if v, err = watermark(p, s.Watermark, v, w, h, tmp); err != nil {
			return nil, err
		}
	}
	var subIn = -1
	if sub := s.Subtitles; sub != nil {
		if sub.Burn {
			local, err := copyToTemp(sub.Path, tmp, "subs.srt")
			if err != nil {
				return nil, err
			}
			style := "FontName=" + subtitleFont
			p.add("[%s]subtitles=filename=%s:force_style=%s[vsub]", v,
				escapeFilterValue(local), escapeFilterValue(style))
			v = "vsub"
		} else {
			subIn = p.addInput("-i", sub.Path)
		}
	}
	if s.Music != nil {
		a = music(p, s.Music, a, p.outDur)
	}
	if s.Loudnorm {
		p.add("[%s]loudnorm=I=-16:TP=-1.5:LRA=11,aresample=48000[aln]", a)
		a = "aln"
	}
	p.add("[%s]format=yuv420p[vout]", v)
	p.add("[%s]anull[aout]", a)

	tier := tierFor(w, h)
	q, err := QualityFor(tier, s.Codec)
	if err != nil {
		return nil, err
	}
	enc := Spec{Codec: s.Codec, Preset: s.Preset}
	p.tail = append(p.tail, "-map", "[vout]", "-map", "[aout]")
	p.tail = append(p.tail, videoEncodeArgs(enc, q, "")...)
	p.tail = append(p.tail, "-r", fpsText)
	p.tail = append(p.tail, audioEncodeArgs(q.AudioKbps, "")...)
	if subIn >= 0 {
		p.tail = append(p.tail, "-map", fmt.Sprintf("%d:s", subIn), "-c:s", "mov_text")
		p.tail = append(p.tail, subtitleLangArgs(s.Subtitles)...)
	}
	p.tail = append(p.tail, containerArgs(s.Format)...)
	p.tail = append(p.tail, s.Output)
	return p, nil
}

// audioFormat is the common audio format every clip is converted to.
const audioFormat = "aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo"

// join adds the chain that joins [v0][a0]...[vN][aN] into [vj][aj] and
// returns the joined duration.
func join(p *graphPlan, t Transition, lens []time.Duration) time.Duration {
	n := len(lens)
	total := lens[0]
	if t.Type == "" || n == 1 {
		var in strings.Builder
		for i := range n {
			fmt.Fprintf(&in, "[v%d][a%d]", i, i)
		}
		p.add("%sconcat=n=%d:v=1:a=1[vj][aj]", in.String(), n)
		for _, l := range lens[1:] {
			total += l
		}
		return total
	}
	prevV, prevA := "v0", "a0"
	for i := 1; i < n; i++ {
		offset := total - t.Duration
		outV, outA := fmt.Sprintf("xv%d", i), fmt.Sprintf("xa%d", i)
		if i == n-1 {
			outV, outA = "vj", "aj"
		}
		p.add("[%s][v%d]xfade=transition=%s:duration=%s:offset=%s[%s]", prevV, i, t.Type,
			secs6(t.Duration), secs6(offset), outV)
		p.add("[%s][a%d]acrossfade=d=%s:c1=tri:c2=tri[%s]", prevA, i,
			secs6(t.Duration), outA)
		total += lens[i] - t.Duration
		prevV, prevA = outV, outA
	}
	return total
}

// atempoChain splits a speed factor into atempo stages, each within the
// 0.5..2 range where atempo sounds cleanest.
func atempoChain(speed float64) string {
	var stages []string
	for speed > 2 {
		stages = append(stages, "atempo=2")
		speed /= 2
	}
	for speed < 0.5 {
		stages = append(stages, "atempo=0.5")
		speed /= 0.5
	}
	stages = append(stages, fmt.Sprintf("atempo=%.6g", speed))
	return strings.Join(stages, ",")
}

// overlayXY holds overlay x:y expressions per position; %[1]d is the margin.
var overlayXY = map[Position]string{
	TopLeft:     "%[1]d:%[1]d",
	TopRight:    "W-w-%[1]d:%[1]d",
	BottomLeft:  "%[1]d:H-h-%[1]d",
	BottomRight: "W-w-%[1]d:H-h-%[1]d",
	Center:      "(W-w)/2:(H-h)/2",
}

// watermark adds the logo or text over label v and returns the new label.
func watermark(p *graphPlan, wm *Watermark, v string, w, h int, tmp string) (
	string, error) {
	pos := wm.Position
	if pos == "" {
		pos = BottomRight
	}
	opacity := wm.Opacity
	if opacity == 0 {
		opacity = 0.6
	}
	margin := wm.Margin
	if margin <= 0 {
		margin = max(h/40, 4)
	}
	if wm.Image != "" {
		frac := wm.Width
		if frac == 0 {
			frac = 0.15
		}
		lw := max(evenRound(float64(w)*frac), 2)
		in := p.addInput("-i", wm.Image)
		p.add("[%d:v]format=rgba,scale=%d:-2,colorchannelmixer=aa=%.3f[wmk]", in, lw,
			opacity)
		xy := fmt.Sprintf(overlayXY[pos], margin)
		p.add("[%s][wmk]overlay=%s:eof_action=repeat:format=auto[vwm]", v, xy)
		return "vwm", nil
	}
	// The text goes through a file so no escaping can break it.
	textPath := filepath.Join(tmp, "watermark.txt")
	if err := os.WriteFile(textPath, []byte(wm.Text), 0o600); err != nil {
		return "", fmt.Errorf("writing watermark text: %w", err)
	}
	xy := strings.NewReplacer("W-w", "w-tw", "H-h", "h-th").Replace(
		fmt.Sprintf(overlayXY[pos], margin))
	x, y, _ := strings.Cut(xy, ":")
	p.add("[%s]drawtext=textfile=%s:font=%s:fontsize=%d:fontcolor=white@%.3f:"+
		"borderw=2:bordercolor=black@%.3f:x=%s:y=%s[vwm]", v, escapeFilterValue(textPath),
		escapeFilterValue(subtitleFont), max(h/18, 10), opacity, opacity*0.6, x, y)
	return "vwm", nil
}

// music mixes the background track under label a and returns the new label.
func music(p *graphPlan, m *Music, a string, dur time.Duration) string {
	vol := m.Volume
	if vol == 0 {
		vol = 0.3
	}
	fin, fout := m.FadeIn, m.FadeOut
	if fin == 0 {
		fin = time.Second
	}
	if fout == 0 {
		fout = time.Second
	}
	fin, fout = min(fin, dur/3), min(fout, dur/3)
	in := p.addInput("-stream_loop", "-1", "-i", m.Path)
	p.add("[%d:a]aresample=48000,%s,volume=%.3f,atrim=duration=%s,asetpts=PTS-STARTPTS,"+
		"afade=t=in:d=%s,afade=t=out:st=%s:d=%s[mus]", in, audioFormat, vol, secs6(dur),
		secs6(fin), secs6(dur-fout), secs6(fout))
	music := "mus"
	if m.Duck {
		// The clip audio keys a compressor on the music: when people talk
		// the music drops by up to ~20 dB, and comes back over 0.4s.
		p.add("[%s]asplit=2[voice][key]", a)
		p.add("[mus][key]sidechaincompress=threshold=0.02:ratio=10:attack=20:" +
			"release=400[duck]")
		a, music = "voice", "duck"
	}
	p.add("[%s][%s]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[amx]",
		a, music)
	return "amx"
}

// tierFor picks the quality tier whose short side covers the frame's.
func tierFor(w, h int) string {
	short := min(w, h)
	for _, t := range Tiers {
		if short <= tierShort[t] {
			return t
		}
	}
	return Tier4K
}

// copyToTemp copies src into dir/name, giving filters a path without
// characters that need escaping.
func copyToTemp(src, dir, name string) (string, error) {
	data, err := os.ReadFile(src)
	if err != nil {
		return "", fmt.Errorf("reading %q: %w", src, err)
	}
	dst := filepath.Join(dir, name)
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		return "", fmt.Errorf("writing %q: %w", dst, err)
	}
	return dst, nil
}

// secs6 formats d as seconds with microsecond precision.
func secs6(d time.Duration) string {
	return fmt.Sprintf("%.6f", d.Seconds())
}
