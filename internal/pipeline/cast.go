package pipeline

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Descriptions written after a name in action lines: 林晓（白衬衫，短发）推门进来,
// ANNA (30s, red coat) pours coffee.
var (
	zhDescRe = regexp.MustCompile(`([\p{Han}·]{1,6})[（(]([^（）()]{1,40})[）)]`)
	enDescRe = regexp.MustCompile(
		`\b([A-Z][A-Za-z'.\-]*(?:\s+[A-Z][A-Za-z'.\-]*){0,2})\s*[(（]([^()（）]{1,60})[)）]`)
)

// zhParticles are characters that end the word before a name in a Chinese run such as
// 站着保安 or 看向林晓; the name starts after the last one.
const zhParticles = "的着了是在和与跟对向把被给让从到见看"

// notNames are capitalised words that precede brackets without being names.
var notNames = map[string]bool{
	"she": true, "he": true, "they": true, "the": true, "a": true, "an": true, "it": true,
	"we": true, "i": true, "you": true, "his": true, "her": true, "their": true,
	"this": true, "that": true, "then": true, "later": true, "and": true,
}

// castEntry is one member of the cast while it is being collected.
type castEntry struct {
	name, desc string
	line       int
}

// castKey folds Latin names to lower case so ANNA and Anna are one person.
func castKey(name string) string {
	return strings.ToLower(strings.TrimSpace(name))
}

// buildCast collects the cast and its first descriptions, then fills Shot.Characters
// from speakers, cast fields and names mentioned in action, in order of mention.
func (p *parser) buildCast() {
	var order []string
	entries := map[string]*castEntry{}
	add := func(name string, line int) {
		name = strings.TrimSpace(name)
		if name == "" || isNarrator(name) {
			return
		}
		k := castKey(name)
		if e, ok := entries[k]; ok {
			e.line = min(e.line, line)
		} else {
			entries[k] = &castEntry{name: name, line: line}
			order = append(order, k)
		}
	}
	notes := slices.Clone(p.descs)
	for _, speakers := range []bool{true, false} {
		for i := range p.sb.Scenes {
			for j := range p.sb.Scenes[i].Shots {
				for _, mn := range p.meta[i][j].trace {
					switch {
					case speakers && mn.name != "":
						add(mn.name, mn.line)
					case !speakers && mn.name == "":
						notes = append(notes, p.actionDescriptions(mn.text, entries, mn.line)...)
					}
				}
			}
		}
	}
	slices.SortStableFunc(notes, func(a, b descNote) int { return a.line - b.line })
	for _, n := range notes {
		add(n.name, n.line)
		if e := entries[castKey(n.name)]; e != nil && e.desc == "" {
			e.desc = n.desc
		}
	}
	slices.SortStableFunc(order, func(a, b string) int { return entries[a].line - entries[b].line })
	p.sb.Characters = make([]Character, 0, len(order))
	names := make([]string, 0, len(order))
	for _, k := range order {
		e := entries[k]
		p.sb.Characters = append(p.sb.Characters, Character{Name: e.name, Description: e.desc})
		names = append(names, e.name)
	}
	for i := range p.sb.Scenes {
		for j := range p.sb.Scenes[i].Shots {
			sh := &p.sb.Scenes[i].Shots[j]
			for _, mn := range p.meta[i][j].trace {
				if mn.name != "" {
					if e := entries[castKey(mn.name)]; e != nil && !mn.offscreen {
						sh.Characters = appendUnique(sh.Characters, e.name)
					}
					continue
				}
				for _, n := range mentionedNames(mn.text, names) {
					sh.Characters = appendUnique(sh.Characters, n)
				}
			}
		}
	}
}

// actionDescriptions finds "name (description)" pairs in action text. Known names are
// preferred when a Chinese run of characters ends with one.
func (p *parser) actionDescriptions(text string, known map[string]*castEntry,
	line int) []descNote {
	var out []descNote
	for _, m := range zhDescRe.FindAllStringSubmatch(text, -1) {
		run, desc := m[1], strings.TrimSpace(m[2])
		if !isDescription(desc) {
			continue
		}
		name := ""
		for _, e := range known {
			if isCJKString(e.name) && strings.HasSuffix(run, e.name) &&
				utf8.RuneCountInString(e.name) > utf8.RuneCountInString(name) {
				name = e.name
			}
		}
		if name == "" {
			name = run
			if i := strings.LastIndexAny(run, zhParticles); i >= 0 {
				_, size := utf8.DecodeRuneInString(run[i:])
				name = run[i+size:]
			}
		}
		if n := utf8.RuneCountInString(name); n >= 2 && n <= 4 {
			out = append(out, descNote{name: name, desc: desc, line: line})
		}
	}
	for _, m := range enDescRe.FindAllStringSubmatch(text, -1) {
		words, desc := strings.Fields(m[1]), strings.TrimSpace(m[2])
		for len(words) > 0 && notNames[strings.ToLower(words[0])] {
			words = words[1:]
		}
		if !isDescription(desc) || len(words) == 0 {
			continue
		}
		name := strings.Join(words, " ")
		// "CAPTAIN REYES (40s, …)" describes the speaker REYES.
		for k := 1; k < len(words); k++ {
			if e := known[castKey(strings.Join(words[k:], " "))]; e != nil {
				name = e.name
				break
			}
		}
		if _, isCam := wholeCamera(name); isCam {
			continue
		}
		out = append(out, descNote{name: name, desc: desc, line: line})
	}
	return out
}

// mentionedNames returns the names that occur in text, in order of position. Longer
// names are matched first so 林晓月 is not also counted as 林晓.
func mentionedNames(text string, names []string) []string {
	type hit struct {
		pos  int
		name string
	}
	byLen := slices.Clone(names)
	slices.SortStableFunc(byLen, func(a, b string) int { return len(b) - len(a) })
	taken := make([]bool, len(text))
	var hits []hit
	for _, n := range byLen {
		if isCJKString(n) && utf8.RuneCountInString(n) < 2 {
			continue
		}
		for _, pos := range findName(text, n) {
			if slices.Contains(taken[pos:pos+len(n)], true) {
				continue
			}
			for k := pos; k < pos+len(n); k++ {
				taken[k] = true
			}
			hits = append(hits, hit{pos, n})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return a.pos - b.pos })
	out := make([]string, 0, len(hits))
	for _, h := range hits {
		out = appendUnique(out, h.name)
	}
	return out
}

// findName returns the byte offsets where name occurs in text: as a substring for
// Chinese names, as a whole word (case-insensitive, possessive allowed) otherwise.
func findName(text, name string) []int {
	var out []int
	if isCJKString(name) {
		for i := 0; ; {
			k := strings.Index(text[i:], name)
			if k < 0 {
				return out
			}
			out = append(out, i+k)
			i += k + len(name)
		}
	}
	for i := 0; i+len(name) <= len(text); i++ {
		if !strings.EqualFold(text[i:i+len(name)], name) {
			continue
		}
		end := i + len(name)
		tail := text[end:]
		if wordBoundary(text, i, end) || strings.HasPrefix(tail, "'s") ||
			strings.HasPrefix(tail, "’s") {
			out = append(out, i)
			i = end - 1
		}
	}
	return out
}
