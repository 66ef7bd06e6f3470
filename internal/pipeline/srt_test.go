package pipeline

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// parsedCue is a cue read back from SRT text.
type parsedCue struct {
	start, end int
	lines      []string
}

var srtTimeRe = regexp.MustCompile(`^(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)$`)

// parseSRT is a strict SubRip reader: numbered blocks, a timing line, text, blank line.
func parseSRT(t *testing.T, s string) []parsedCue {
	t.Helper()
	if s == "" {
		return nil
	}
	if !strings.HasSuffix(s, "\n\n") {
		t.Fatalf("SRT does not end with a blank line")
	}
	var out []parsedCue
	for i, block := range strings.Split(strings.TrimSuffix(s, "\n\n"), "\n\n") {
		lines := strings.Split(block, "\n")
		if len(lines) < 3 || lines[0] != strconv.Itoa(i+1) {
			t.Fatalf("block %d malformed: %q", i+1, block)
		}
		m := srtTimeRe.FindStringSubmatch(lines[1])
		if m == nil {
			t.Fatalf("bad timing line %q", lines[1])
		}
		ms := func(h, mi, sec, milli string) int {
			a, _ := strconv.Atoi(h)
			b, _ := strconv.Atoi(mi)
			c, _ := strconv.Atoi(sec)
			d, _ := strconv.Atoi(milli)
			return ((a*60+b)*60+c)*1000 + d
		}
		out = append(out, parsedCue{ms(m[1], m[2], m[3], m[4]), ms(m[5], m[6], m[7], m[8]),
			lines[2:]})
	}
	return out
}

func TestSubtitlesSRT(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"zh_short_drama.txt", "en_screenplay.txt",
		"en_scene_numbered.txt", "mixed_language.txt"} {
		sb := parseFile(t, "testdata/scripts/"+name)
		cues := parseSRT(t, SubtitlesSRT(sb))
		// Expected: one or more cues per dialogue line, within its shot's time range.
		type span struct{ start, end int }
		var ranges []span
		var texts []string
		offset := 0
		for _, sc := range sb.Scenes {
			for _, sh := range sc.Shots {
				d := int(sh.DurationSeconds * 1000)
				for _, l := range sh.Dialogue {
					ranges = append(ranges, span{offset, offset + d})
					texts = append(texts, l.Text)
				}
				offset += d
			}
		}
		if len(cues) < len(texts) {
			t.Fatalf("%s: %d cues for %d lines", name, len(cues), len(texts))
		}
		prevEnd, k := 0, 0
		for i, text := range texts {
			var got []string
			for k < len(cues) && len(strings.Join(got, "")) < len(strings.ReplaceAll(text, " ", "")) {
				c := cues[k]
				if c.start < prevEnd || c.end <= c.start {
					t.Errorf("%s: cue %d not monotonic: %+v after %d", name, k+1, c, prevEnd)
				}
				if c.start < ranges[i].start || c.end > ranges[i].end {
					t.Errorf("%s: cue %d %d–%d outside its shot %d–%d", name, k+1, c.start, c.end,
						ranges[i].start, ranges[i].end)
				}
				if len(c.lines) > 2 {
					t.Errorf("%s: cue %d has %d lines", name, k+1, len(c.lines))
				}
				for _, ln := range c.lines {
					limit := 42
					if isCJKString(ln) {
						limit = 16
					}
					if utf8.RuneCountInString(ln) > limit {
						t.Errorf("%s: line %q longer than %d", name, ln, limit)
					}
					got = append(got, strings.ReplaceAll(ln, " ", ""))
				}
				prevEnd = c.end
				k++
			}
			if strings.Join(got, "") != strings.ReplaceAll(text, " ", "") {
				t.Errorf("%s: cues %q do not spell %q", name, got, text)
			}
		}
	}
}

func TestSubtitlesSplitLongLine(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("这是一句非常非常长的台词，", 6)
	sb, err := Parse("镜头1 5秒\n林晓："+long, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cues := parseSRT(t, SubtitlesSRT(sb))
	if len(cues) < 2 {
		t.Fatalf("long line not split: %+v", cues)
	}
	if last := cues[len(cues)-1]; last.end > 5000 {
		t.Errorf("cues overrun the 5 s shot: %+v", last)
	}
	if got := SubtitlesSRT(&Storyboard{}); got != "" {
		t.Errorf("empty storyboard gave %q", got)
	}
}
