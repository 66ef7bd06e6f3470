package pipeline

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Severities of a Finding, from advice to a problem the provider will reject.
const (
	SeverityInfo    = "info"
	SeverityWarning = "warning"
	SeverityError   = "error"
)

// Rules a Finding can come from. They are stable identifiers the UI can filter on.
const (
	RuleTooLong       = "too_long"
	RuleTooShort      = "too_short"
	RuleNoCamera      = "no_camera"
	RuleStyleConflict = "style_conflict"
	RuleUnresolved    = "unresolved_variable"
	RuleBlockedWord   = "blocked_word"
	RuleRepeatedWord  = "repeated_word"
)

// Minimum useful prompt sizes: below these, models fill the gaps with generic imagery.
const (
	minWordsEN = 8
	minRunesZH = 15
)

// LintOptions tunes Lint. The zero value lints against the "sim" profile, with no
// blocked words and the language detected from the prompt.
type LintOptions struct {
	// Provider selects the length limit; empty means "sim", unknown names use it too.
	Provider string
	// BlockedWords are the team's banned terms: matched case-insensitively as whole
	// words when they are Latin, as substrings when they contain Chinese.
	BlockedWords []string
	// Language is LangZhCN or LangEn; empty means detect from the prompt.
	Language string
}

// Finding is one problem Lint found. Start and End are byte offsets into the prompt
// (half-open) so an editor can underline the text; both are 0 for whole-prompt findings.
type Finding struct {
	// Rule is one of the Rule constants.
	Rule string `json:"rule"`
	// Severity is SeverityInfo, SeverityWarning or SeverityError.
	Severity string `json:"severity"`
	// Message explains the problem in English.
	Message string `json:"message"`
	// MessageZH is the same explanation in Simplified Chinese.
	MessageZH string `json:"message_zh"`
	// Suggestion says how to fix it, in English with Chinese examples where useful.
	Suggestion string `json:"suggestion"`
	// Start is the byte offset where the marked text begins.
	Start int `json:"start"`
	// End is the byte offset just after the marked text.
	End int `json:"end"`
}

// styleConflicts are pairs of looks a single clip cannot have at once.
var styleConflicts = [][2][]string{
	{{"anime", "动漫", "二次元", "cartoon", "卡通"},
		{"photorealistic", "photo-realistic", "写实", "真实感", "live action", "真人"}},
	{{"black and white", "black-and-white", "monochrome", "黑白"},
		{"vibrant colors", "vibrant colours", "colorful", "colourful", "色彩鲜艳", "五彩斑斓"}},
	{{"daytime", "白天", "正午", "midday"}, {"night", "夜晚", "深夜", "midnight"}},
	{{"slow motion", "慢动作"}, {"time-lapse", "timelapse", "延时摄影"}},
	{{"static shot", "固定镜头", "locked-off"}, {"handheld", "手持"}},
	{{"minimalist", "极简"}, {"cluttered", "maximalist", "繁复"}},
}

// Lint checks a prompt for the mistakes that waste generations: wrong length for the
// provider, no camera direction, contradictory styles, leftover {variables}, banned
// words and repetition. Findings are ordered by position, whole-prompt ones first.
func Lint(prompt string, opts LintOptions) []Finding {
	lang := opts.Language
	if lang == "" {
		lang = detectLanguage(prompt)
	}
	prof, ok := Profile(opts.Provider)
	if !ok {
		prof, _ = Profile("sim")
	}
	var out []Finding
	out = append(out, lintLength(prompt, prof, lang)...)
	if strings.TrimSpace(prompt) != "" && len(scanCamera(prompt, false)) == 0 {
		out = append(out, Finding{Rule: RuleNoCamera, Severity: SeverityWarning,
			Message:    "no shot size or camera move; the model will pick one at random",
			MessageZH:  "没有景别或运镜，模型会随意选择",
			Suggestion: "add e.g. \"close-up, dolly-in\" / 「特写，推镜头」"})
	}
	out = append(out, lintConflicts(prompt)...)
	out = append(out, lintVariables(prompt)...)
	out = append(out, lintBlocked(prompt, opts.BlockedWords)...)
	out = append(out, lintRepeats(prompt)...)
	slices.SortStableFunc(out, func(a, b Finding) int { return a.Start - b.Start })
	return out
}

// lintLength reports prompts too long for the provider or too short to be specific.
func lintLength(prompt string, prof ProviderProfile, lang string) []Finding {
	n := utf8.RuneCountInString(prompt)
	if n > prof.MaxRunes {
		return []Finding{{Rule: RuleTooLong, Severity: SeverityError,
			Message: fmt.Sprintf("prompt has %d characters; %s accepts at most %d",
				n, prof.Name, prof.MaxRunes),
			MessageZH:  fmt.Sprintf("提示词共 %d 字符，%s 最多接受 %d", n, prof.Name, prof.MaxRunes),
			Suggestion: "cut repeated description and style words",
			Start:      len(string([]rune(prompt)[:prof.MaxRunes])), End: len(prompt)}}
	}
	han, words := countUnits(prompt)
	short := words < minWordsEN
	if lang == LangZhCN {
		short = han+words*2 < minRunesZH
	}
	if short {
		return []Finding{{Rule: RuleTooShort, Severity: SeverityWarning,
			Message:    "prompt is very short; describe subject, action, place and light",
			MessageZH:  "提示词过短，请描述主体、动作、场景和光线",
			Suggestion: "who does what, where, in which light, with which camera"}}
	}
	return nil
}

// findTerm returns the byte offsets of term in s: whole words, case-insensitive, for
// Latin terms; substrings for Chinese ones.
func findTerm(s, term string) []int {
	if term == "" {
		return nil
	}
	if isCJKString(term) {
		var out []int
		for i := 0; ; {
			k := strings.Index(s[i:], term)
			if k < 0 {
				return out
			}
			out = append(out, i+k)
			i += k + len(term)
		}
	}
	low, lowTerm := asciiLower(s), asciiLower(term)
	var out []int
	for i := 0; ; {
		k := strings.Index(low[i:], lowTerm)
		if k < 0 {
			return out
		}
		if wordBoundary(s, i+k, i+k+len(term)) {
			out = append(out, i+k)
		}
		i += k + len(term)
	}
}

// asciiLower lower-cases ASCII letters only, keeping byte offsets valid for s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// lintConflicts reports the first term of each conflicting pair that both appear.
func lintConflicts(prompt string) []Finding {
	var out []Finding
	first := func(terms []string) (string, int) {
		best, at := "", -1
		for _, t := range terms {
			if hits := findTerm(prompt, t); len(hits) > 0 && (at < 0 || hits[0] < at) {
				best, at = t, hits[0]
			}
		}
		return best, at
	}
	for _, pair := range styleConflicts {
		a, ia := first(pair[0])
		b, ib := first(pair[1])
		if ia < 0 || ib < 0 {
			continue
		}
		at, term := max(ia, ib), b
		if ia > ib {
			term = a
		}
		out = append(out, Finding{Rule: RuleStyleConflict, Severity: SeverityWarning,
			Message:    fmt.Sprintf("%q conflicts with %q; the model will blend or ignore one", a, b),
			MessageZH:  fmt.Sprintf("「%s」与「%s」相互矛盾，模型会混合或忽略其中之一", a, b),
			Suggestion: fmt.Sprintf("keep either %q or %q", a, b),
			Start:      at, End: at + len(term)})
	}
	return out
}

// variableRe finds placeholders such as {product} that were never filled in.
var variableRe = regexp.MustCompile(`\{\{|\}\}|\{[^{}\s]{1,40}\}`)

// lintVariables reports {variables} left in the prompt; "{{" and "}}" are escapes.
func lintVariables(prompt string) []Finding {
	var out []Finding
	for _, m := range variableRe.FindAllStringIndex(prompt, -1) {
		v := prompt[m[0]:m[1]]
		if v == "{{" || v == "}}" {
			continue
		}
		out = append(out, Finding{Rule: RuleUnresolved, Severity: SeverityError,
			Message:    fmt.Sprintf("placeholder %s was not filled in", v),
			MessageZH:  fmt.Sprintf("占位符 %s 未填写", v),
			Suggestion: "fill in the template variable or remove it",
			Start:      m[0], End: m[1]})
	}
	return out
}

// lintBlocked reports every occurrence of a blocked word.
func lintBlocked(prompt string, blocked []string) []Finding {
	var out []Finding
	for _, w := range blocked {
		w = strings.TrimSpace(w)
		for _, at := range findTerm(prompt, w) {
			out = append(out, Finding{Rule: RuleBlockedWord, Severity: SeverityError,
				Message:    fmt.Sprintf("%q is on the blocked list", prompt[at:at+len(w)]),
				MessageZH:  fmt.Sprintf("「%s」在禁用词列表中", prompt[at:at+len(w)]),
				Suggestion: "rephrase without the blocked word",
				Start:      at, End: at + len(w)})
		}
	}
	return out
}

// stopWords are English words too common to count as repetition.
var stopWords = map[string]bool{
	"the": true, "and": true, "with": true, "from": true, "into": true, "that": true,
	"this": true, "their": true, "there": true, "then": true, "over": true, "while": true,
	"shot": true, "for": true, "her": true, "his": true, "its": true, "are": true,
}

// wordRe finds English words for the repetition rule.
var wordRe = regexp.MustCompile(`[A-Za-z][A-Za-z'-]*`)

// lintRepeats reports a word repeated back to back, content words used three or more
// times (they dilute a prompt's attention budget), and an immediately repeated 2–4
// character Chinese phrase (美丽美丽), which unlike reduplication such as 慢慢 is a typo.
func lintRepeats(prompt string) []Finding {
	var out []Finding
	counts := map[string]int{}
	prev, prevEnd := "", -1
	for _, m := range wordRe.FindAllStringIndex(prompt, -1) {
		w := asciiLower(prompt[m[0]:m[1]])
		if w == prev && strings.TrimSpace(prompt[prevEnd:m[0]]) == "" {
			out = append(out, Finding{Rule: RuleRepeatedWord, Severity: SeverityWarning,
				Message: fmt.Sprintf("%q is repeated", w), MessageZH: fmt.Sprintf("「%s」重复", w),
				Suggestion: "remove the duplicate", Start: m[0], End: m[1]})
		}
		prev, prevEnd = w, m[1]
		if len(w) < 4 || stopWords[w] {
			continue
		}
		counts[w]++
		if counts[w] == 3 {
			out = append(out, Finding{Rule: RuleRepeatedWord, Severity: SeverityInfo,
				Message:    fmt.Sprintf("%q is used 3 times or more", w),
				MessageZH:  fmt.Sprintf("「%s」使用了三次以上", w),
				Suggestion: "vary the wording or say it once", Start: m[0], End: m[1]})
		}
	}
	rs := []rune(prompt)
	offs := make([]int, len(rs)+1)
	for i, off := 0, 0; i < len(rs); i++ {
		offs[i], off = off, off+utf8.RuneLen(rs[i])
		offs[i+1] = off
	}
	for i := 0; i < len(rs); i++ {
		for n := 4; n >= 2; n-- {
			if i+2*n > len(rs) || !allCJK(rs[i:i+n]) || string(rs[i:i+n]) != string(rs[i+n:i+2*n]) {
				continue
			}
			phrase := string(rs[i : i+n])
			out = append(out, Finding{Rule: RuleRepeatedWord, Severity: SeverityWarning,
				Message: fmt.Sprintf("%q is repeated", phrase), MessageZH: fmt.Sprintf("「%s」重复", phrase),
				Suggestion: "remove the duplicate", Start: offs[i+n], End: offs[i+2*n]})
			i += 2*n - 1
			break
		}
	}
	return out
}

// allCJK reports whether every rune is a Han character.
func allCJK(rs []rune) bool {
	for _, r := range rs {
		if !isCJK(r) {
			return false
		}
	}
	return true
}
