package pipeline

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// Subtitle layout limits: the common broadcast guidance for line length in each script,
// and at most two lines on screen at once.
const (
	srtLineRunesCJK   = 16
	srtLineRunesLatin = 42
	srtMaxLines       = 2
	// srtMinCueMillis keeps a cue on screen long enough to be read at all.
	srtMinCueMillis = 700
	// srtLeadMillis leaves a short beat at the start of a shot before the first line.
	srtLeadMillis = 200
)

// cue is one subtitle before formatting.
type cue struct {
	start, end int // milliseconds
	lines      []string
}

// SubtitlesSRT renders the storyboard's dialogue as SubRip subtitles. Shots are laid end
// to end in scene order using DurationSeconds; each shot's lines are timed in proportion
// to their estimated speaking time within the shot (never crossing into the next shot),
// long lines are wrapped at about 16 Chinese or 42 Latin characters, and text needing
// more than two lines becomes several consecutive cues. Speaker names and
// parentheticals are not shown. An empty string means there is no dialogue.
func SubtitlesSRT(sb *Storyboard) string {
	if sb == nil {
		return ""
	}
	var cues []cue
	offset := 0
	for _, sc := range sb.Scenes {
		for _, sh := range sc.Shots {
			dur := int(math.Round(sh.DurationSeconds * 1000))
			cues = append(cues, shotCues(sh.Dialogue, offset, offset+dur)...)
			offset += dur
		}
	}
	var b strings.Builder
	for i, c := range cues {
		fmt.Fprintf(&b, "%d\n%s --> %s\n%s\n\n", i+1, srtTime(c.start), srtTime(c.end),
			strings.Join(c.lines, "\n"))
	}
	return b.String()
}

// shotCues times one shot's dialogue within [start, end).
func shotCues(lines []Line, start, end int) []cue {
	type piece struct {
		text   []string
		weight float64
	}
	var pieces []piece
	total := 0.0
	for _, l := range lines {
		wrapped := wrapSubtitle(strings.TrimSpace(l.Text))
		for k := 0; k < len(wrapped); k += srtMaxLines {
			chunk := wrapped[k:min(k+srtMaxLines, len(wrapped))]
			w := max(speechSeconds(strings.Join(chunk, " ")), float64(srtMinCueMillis)/1000)
			pieces = append(pieces, piece{chunk, w})
			total += w
		}
	}
	if len(pieces) == 0 || end <= start {
		return nil
	}
	avail := end - start
	lead := min(srtLeadMillis, avail/10)
	avail -= lead
	// Natural pace when it fits, compressed proportionally when it does not.
	scale := 1000.0
	if total*1000 > float64(avail) {
		scale = float64(avail) / total
	}
	out := make([]cue, 0, len(pieces))
	t := float64(start + lead)
	for _, p := range pieces {
		s := int(math.Round(t))
		t += p.weight * scale
		e := min(int(math.Round(t)), end)
		if e <= s {
			continue
		}
		out = append(out, cue{start: s, end: e, lines: p.text})
	}
	return out
}

// wrapSubtitle splits text into display lines: Chinese at about 16 characters,
// preferring to break after punctuation; Latin at 42 characters on spaces.
func wrapSubtitle(text string) []string {
	if text == "" {
		return nil
	}
	han, words := countUnits(text)
	if han >= words {
		return wrapRunes(text, srtLineRunesCJK)
	}
	return wrapWords(text, srtLineRunesLatin)
}

// wrapRunes breaks text into lines of at most limit runes, after punctuation when one
// falls in the second half of the line.
func wrapRunes(text string, limit int) []string {
	var out []string
	rs := []rune(text)
	for len(rs) > limit {
		cut := limit
		for k := limit; k > limit/2; k-- {
			if strings.ContainsRune("，。！？；、,.!?… ", rs[k-1]) {
				cut = k
				break
			}
		}
		out = append(out, strings.TrimSpace(string(rs[:cut])))
		rs = []rune(strings.TrimSpace(string(rs[cut:])))
	}
	if len(rs) > 0 {
		out = append(out, string(rs))
	}
	return out
}

// wrapWords breaks text on spaces into lines of at most limit runes; a single word
// longer than the limit is broken by runes.
func wrapWords(text string, limit int) []string {
	var out []string
	line := ""
	for _, w := range strings.Fields(text) {
		for utf8.RuneCountInString(w) > limit {
			if line != "" {
				out, line = append(out, line), ""
			}
			rs := []rune(w)
			out, w = append(out, string(rs[:limit])), string(rs[limit:])
		}
		switch {
		case line == "":
			line = w
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) <= limit:
			line += " " + w
		default:
			out, line = append(out, line), w
		}
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}

// srtTime formats milliseconds as HH:MM:SS,mmm.
func srtTime(ms int) string {
	return fmt.Sprintf("%02d:%02d:%02d,%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}
