package pipeline

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// isCJK reports whether r is a Han character or CJK punctuation-free ideograph, the unit
// Chinese reading speed is measured in.
func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r)
}

// isCJKString reports whether s contains at least one Han character.
func isCJKString(s string) bool {
	for _, r := range s {
		if isCJK(r) {
			return true
		}
	}
	return false
}

// isWordRune reports whether r continues a Latin word (letters, digits, apostrophes).
func isWordRune(r rune) bool {
	return (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'') && !isCJK(r)
}

// wordBoundary reports whether s[i:end] is not glued to Latin letters on either side.
func wordBoundary(s string, i, end int) bool {
	if i > 0 {
		r, _ := utf8.DecodeLastRuneInString(s[:i])
		if isWordRune(r) {
			return false
		}
	}
	if end < len(s) {
		r, _ := utf8.DecodeRuneInString(s[end:])
		if isWordRune(r) {
			return false
		}
	}
	return true
}

// tokenBoundary reports whether s[i:end] is a whole token: delimited by separators or
// the ends of s. It guards one-character Chinese aliases such as 推 (推门 is not a move).
func tokenBoundary(s string, i, end int) bool {
	if i > 0 {
		r, _ := utf8.DecodeLastRuneInString(s[:i])
		if !isSeparator(r) {
			return false
		}
	}
	if end < len(s) {
		r, _ := utf8.DecodeRuneInString(s[end:])
		if !isSeparator(r) {
			return false
		}
	}
	return true
}

// isSeparator reports whether r separates fields in headings and shot markers.
func isSeparator(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune(",，、;；:：/|·・-–—+()（）[]【】", r)
}

// trimSeparators removes separators and sentence punctuation from both ends of s.
func trimSeparators(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return isSeparator(r) && !strings.ContainsRune("()（）[]【】", r) || r == '.' || r == '。'
	})
}

// trimLeadingSeparators removes separators from the start of s only, keeping the
// punctuation that ends a sentence.
func trimLeadingSeparators(s string) string {
	return strings.TrimLeftFunc(s, func(r rune) bool {
		return isSeparator(r) && !strings.ContainsRune("()（）[]【】", r)
	})
}

// durationRe matches an explicit duration such as 5s, 5 s, 2.5s, 3 sec, 5秒 or 5 秒钟.
// The trailing boundary is checked in code because Go regexps lack look-ahead.
var durationRe = regexp.MustCompile(
	`(?i)(\d{1,3}(?:\.\d{1,2})?)\s?(seconds|second|secs|sec|s|秒钟|秒)`)

// findDuration returns the first duration in s with its byte range. English units must
// not run into a following letter, so "5 shots" is not five seconds.
func findDuration(s string) (secs float64, start, end int, ok bool) {
	for _, m := range durationRe.FindAllStringSubmatchIndex(s, -1) {
		if m[0] > 0 {
			r, _ := utf8.DecodeLastRuneInString(s[:m[0]])
			if unicode.IsDigit(r) || r == '.' || (isWordRune(r) && !isCJK(r)) {
				continue
			}
		}
		if m[1] < len(s) {
			r, _ := utf8.DecodeRuneInString(s[m[1]:])
			if isWordRune(r) && !isCJK(r) {
				continue
			}
		}
		v, err := strconv.ParseFloat(s[m[2]:m[3]], 64)
		if err != nil {
			continue
		}
		return v, m[0], m[1], true
	}
	return 0, 0, 0, false
}

// wholeDuration reports whether s, trimmed of separators, is nothing but a duration.
func wholeDuration(s string) (float64, bool) {
	s = trimSeparators(s)
	v, start, end, ok := findDuration(s)
	if !ok || start != 0 || end != len(s) {
		return 0, false
	}
	return v, true
}

// cleanupSpaces collapses runs of white space to one space and trims the ends.
func cleanupSpaces(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// countUnits returns the Han characters and Latin words in s, the two units speech and
// reading speed are estimated in.
func countUnits(s string) (han, words int) {
	inWord := false
	for _, r := range s {
		switch {
		case isCJK(r):
			han++
			inWord = false
		case isWordRune(r):
			if !inWord {
				words++
			}
			inWord = true
		default:
			inWord = false
		}
	}
	return han, words
}

// speechSeconds estimates how long s takes to say: about 4 Chinese characters or 2.5
// English words per second, the pace of natural drama dialogue.
func speechSeconds(s string) float64 {
	han, words := countUnits(s)
	return float64(han)/4 + float64(words)/2.5
}

// actionSeconds estimates how long an action needs on screen. Description reads faster
// than speech plays, so it counts at about 10 characters or 5 words per second, plus a
// one-second beat for the viewer to take the image in.
func actionSeconds(s string) float64 {
	han, words := countUnits(s)
	if han+words == 0 {
		return 0
	}
	return 1 + float64(han)/10 + float64(words)/5
}

// clampDuration keeps d within MinShotSeconds..MaxShotSeconds and rounds it to the
// nearest half second, which is the granularity providers accept.
func clampDuration(d float64) float64 {
	d = math.Round(d*2) / 2
	return math.Max(MinShotSeconds, math.Min(MaxShotSeconds, d))
}

// detectLanguage picks LangZhCN or LangEn by weight of content: one English word counts
// as two Chinese characters (a typical Chinese word length).
func detectLanguage(s string) string {
	han, words := countUnits(s)
	if han > 0 && han >= words*2 {
		return LangZhCN
	}
	if words == 0 && han > 0 {
		return LangZhCN
	}
	return LangEn
}

// foldWidth converts full-width ASCII variants (Ａ, １, ：) to their half-width forms
// so markers such as "Ｓｈｏｔ　１" are recognised; Chinese punctuation that has no ASCII
// twin (，。、) is left alone.
func foldWidth(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= 0xFF01 && r <= 0xFF5E }) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r >= 0xFF10 && r <= 0xFF19 || r >= 0xFF21 && r <= 0xFF3A || r >= 0xFF41 && r <= 0xFF5A {
			r -= 0xFF00 - 0x20
		}
		b.WriteRune(r)
	}
	return b.String()
}

// chineseNumber parses 一 to 九十九 (and 两, 〇, 零) as written in 场景一 or 第十二场.
func chineseNumber(s string) (int, bool) {
	digits := map[rune]int{
		'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5,
		'六': 6, '七': 7, '八': 8, '九': 9,
	}
	rs := []rune(s)
	if len(rs) == 0 || len(rs) > 3 {
		return 0, false
	}
	total, cur, seenTen := 0, 0, false
	for _, r := range rs {
		if r == '十' {
			if seenTen {
				return 0, false
			}
			seenTen = true
			if cur == 0 {
				cur = 1
			}
			total += cur * 10
			cur = 0
			continue
		}
		d, ok := digits[r]
		if !ok {
			return 0, false
		}
		cur = cur*10 + d
	}
	return total + cur, true
}

// englishNumbers lets "Scene One" and "Shot Three" be numbered like digits.
var englishNumbers = map[string]int{
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}

// parseNumber reads a scene or shot number written with digits, Chinese numerals or an
// English word.
func parseNumber(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, true
	}
	if n, ok := englishNumbers[strings.ToLower(s)]; ok {
		return n, true
	}
	return chineseNumber(s)
}

// unwrapBrackets returns the inside of s when the whole of s is one bracketed group of
// the given kinds, e.g. "（低声）" or "(whispering)".
func unwrapBrackets(s string, pairs ...string) (string, bool) {
	for _, p := range pairs {
		open, close := string([]rune(p)[0]), string([]rune(p)[1])
		if strings.HasPrefix(s, open) && strings.HasSuffix(s, close) && len(s) > len(p) {
			inner := s[len(open) : len(s)-len(close)]
			if !strings.ContainsAny(inner, open+close) {
				return strings.TrimSpace(inner), true
			}
		}
	}
	return "", false
}
