package sim

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ellipsis ends the last line when a prompt is cut.
const ellipsis = "…"

// runeWidth is the display width of r in columns: 2 for East Asian wide
// characters (CJK, kana, Hangul, full-width forms), 1 otherwise. Fonts draw
// these about twice as wide as Latin letters, so counting columns keeps
// Chinese prompts inside the frame.
func runeWidth(r rune) int {
	switch {
	case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0x303E, r >= 0x3041 && r <= 0x33FF,
		r >= 0x3400 && r <= 0x4DBF, r >= 0x4E00 && r <= 0x9FFF, r >= 0xA000 && r <= 0xA4CF,
		r >= 0xAC00 && r <= 0xD7A3, r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F,
		r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6, r >= 0x20000 && r <= 0x3FFFD:
		return 2
	}
	return 1
}

// cleanText makes untrusted prompt text safe to draw: invalid UTF-8 and
// control or format characters (bidi overrides, zero-width joiners) are
// dropped, tabs become spaces and CR or CRLF become LF.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\r':
			return '\n'
		case r == '\t' || unicode.IsSpace(r):
			return ' '
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == utf8.RuneError,
			unicode.Is(unicode.Co, r), unicode.Is(unicode.Cs, r):
			return -1
		}
		return r
	}, s)
}

// wrapText cleans s and breaks it into at most maxLines lines of at most cols
// columns. Latin text breaks at spaces (words longer than a line are split),
// CJK text between any two characters; existing line breaks are kept. When
// the text does not fit, the last line ends with "…". The result contains no
// control characters other than '\n' and is what the drawtext text file
// holds: with expansion=none drawtext draws it literally, so no escaping of
// ':' '\” '\\' or '%' is needed or wanted.
func wrapText(s string, cols, maxLines int) string {
	if cols < 2 || maxLines < 1 {
		return ""
	}
	var lines []string
	cut := false
	for _, para := range strings.Split(cleanText(s), "\n") {
		for _, l := range wrapParagraph(para, cols, maxLines+1-len(lines)) {
			if len(lines) == maxLines {
				cut = true
				break
			}
			lines = append(lines, l)
		}
		if cut {
			break
		}
	}
	// Drop leading and trailing blank lines; they only waste the frame.
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	if cut && len(lines) > 0 {
		last := []rune(lines[len(lines)-1])
		for len(last) > 0 && textWidth(string(last))+1 > cols {
			last = last[:len(last)-1]
		}
		lines[len(lines)-1] = string(last) + ellipsis
	}
	return strings.Join(lines, "\n")
}

// wrapParagraph wraps one line of text greedily. It stops after limit lines,
// so a huge prompt costs no more than what is drawn.
func wrapParagraph(p string, cols, limit int) []string {
	var lines []string
	var cur strings.Builder
	w := 0
	flush := func() {
		lines = append(lines, strings.TrimRight(cur.String(), " "))
		cur.Reset()
		w = 0
	}
	for _, tok := range tokens(p) {
		if len(lines) >= limit {
			return lines
		}
		if tok == " " {
			if w > 0 && w+1 <= cols {
				cur.WriteByte(' ')
				w++
			}
			continue
		}
		tw := textWidth(tok)
		if w > 0 && w+tw > cols {
			flush()
		}
		if tw <= cols {
			cur.WriteString(tok)
			w += tw
			continue
		}
		// A word longer than a whole line is split between runes.
		for _, r := range tok {
			if rw := runeWidth(r); w+rw > cols {
				flush()
				if len(lines) >= limit {
					return lines
				}
			}
			cur.WriteRune(r)
			w += runeWidth(r)
		}
	}
	if w > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// tokens splits p into single spaces, single wide runes and runs of other
// runes (words).
func tokens(p string) []string {
	var out []string
	start := -1
	for i, r := range p {
		if r == ' ' || runeWidth(r) == 2 {
			if start >= 0 {
				out = append(out, p[start:i])
				start = -1
			}
			out = append(out, string(r))
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, p[start:])
	}
	return out
}

func textWidth(s string) int {
	w := 0
	for _, r := range s {
		w += runeWidth(r)
	}
	return w
}
