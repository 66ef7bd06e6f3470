package sim

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestWrapText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		cols  int
		lines int
		want  string
	}{
		{"short", "a cat", 20, 3, "a cat"},
		{"words", "the quick brown fox jumps", 10, 5, "the quick\nbrown fox\njumps"},
		{"cjk", "一只猫在月光下跳舞", 8, 5, "一只猫在\n月光下跳\n舞"},
		{"mixed", "cat 猫 dog", 6, 5, "cat 猫\ndog"},
		{"long word", "abcdefghijkl", 5, 5, "abcde\nfghij\nkl"},
		{"newlines kept", "one\r\ntwo\rthree", 20, 5, "one\ntwo\nthree"},
		{"controls dropped", "a\x00b\x1b[31mc\u202ed\tz", 20, 2, "ab[31mcd z"},
		{"cut", "aa bb cc dd ee", 5, 2, "aa bb\ncc d…"},
		{"blank edges", "\n\n  hi  \n\n", 10, 5, "hi"},
		{"hostile", `it's 50% "off": C:\x %{pts}`, 40, 2, `it's 50% "off": C:\x %{pts}`},
	}
	for _, tc := range tests {
		if got := wrapText(tc.in, tc.cols, tc.lines); got != tc.want {
			t.Errorf("%s: wrapText(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

// nonSpace keeps what wrapping must preserve: every visible character.
func nonSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func FuzzWrapText(f *testing.F) {
	f.Add("一只猫在月光下跳舞, a cat dancing", 12, 3)
	f.Add(`'\:%{localtime}\\`+"\n\x00\xff", 4, 2)
	f.Add(strings.Repeat("word ", 200), 30, 4)
	f.Fuzz(func(t *testing.T, s string, cols, maxLines int) {
		cols, maxLines = 2+abs(cols)%60, 1+abs(maxLines)%20
		out := wrapText(s, cols, maxLines)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
		lines := strings.Split(out, "\n")
		if len(lines) > maxLines {
			t.Fatalf("%d lines > %d: %q", len(lines), maxLines, out)
		}
		for _, l := range lines {
			if textWidth(l) > cols {
				t.Fatalf("line %q is %d columns > %d", l, textWidth(l), cols)
			}
			for _, r := range l {
				if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
					t.Fatalf("control rune %U left in %q", r, out)
				}
			}
		}
		// Visible text is kept in order: all of it, or a prefix plus "…".
		want, got := nonSpace(cleanText(s)), nonSpace(out)
		if got == want {
			return
		}
		trimmed, ok := strings.CutSuffix(got, ellipsis)
		if !ok || !strings.HasPrefix(want, trimmed) {
			t.Fatalf("text changed: got %q want %q", got, want)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
