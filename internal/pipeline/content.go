package pipeline

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// content classifies a line (or the rest of a shot marker) that belongs inside a shot:
// a detail field, a parenthetical, dialogue or action. marker is set for text on a shot
// marker line, where camera words anywhere in the text are taken as directions. i is
// the 0-based line index used for look-ahead.
func (p *parser) content(text string, ln int, marker bool, i int) {
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	if p.speaker != "" {
		if inner, ok := unwrapBrackets(text, "（）", "()"); ok {
			p.pendingParen = inner
			return
		}
		p.addDialogue(p.speaker, text, p.pendingParen, ln, true)
		p.pendingParen = ""
		return
	}
	if key, val, ok := splitColon(text); ok {
		if kind := attributeOf(key); kind != 0 {
			p.attribute(kind, key, val, ln, i)
			return
		}
		if terms, isCam := wholeCamera(key); isCam {
			p.action(val, ln, marker, terms)
			return
		}
		if p.dialogueLine(key, val, ln) {
			return
		}
	}
	if p.narratorBracket(text, ln) {
		return
	}
	if inner, ok := unwrapBrackets(text, "（）", "()"); ok {
		p.action(inner, ln, marker, nil)
		return
	}
	if !marker {
		if name, paren, ok := parseCapsSpeaker(text); ok && p.nextIsDialogue(i) {
			p.openBlock(name, paren, ln)
			return
		}
	}
	p.action(text, ln, marker, nil)
}

// sayVerbRe spots Chinese narration such as "她说：" that is not a speaker cue.
var sayVerbRe = regexp.MustCompile(`(说|道|问|喊|叫|答|笑道|想|写着|是)$`)

// dialogueLine handles "角色：台词" and "NAME: line"; it reports false when key is not a
// plausible speaker, so the caller treats the line as action.
func (p *parser) dialogueLine(key, val string, ln int) bool {
	name, paren, ok := parseSpeaker(key)
	if !ok || (isCJKString(name) && sayVerbRe.MatchString(name) && !isNarrator(name)) {
		return false
	}
	if isDescription(paren) {
		p.describe(name, paren, ln)
		paren = ""
	}
	if val == "" {
		p.openBlock(name, paren, ln)
		return true
	}
	p.addDialogue(name, val, paren, ln, false)
	return true
}

// narratorBracket handles 【旁白】text and [VO] text.
func (p *parser) narratorBracket(text string, ln int) bool {
	for _, br := range [][2]string{{"【", "】"}, {"[", "]"}} {
		if !strings.HasPrefix(text, br[0]) {
			continue
		}
		end := strings.Index(text, br[1])
		if end < 0 {
			continue
		}
		name := strings.TrimSpace(text[len(br[0]):end])
		rest := strings.TrimSpace(trimLeadingSeparators(text[end+len(br[1]):]))
		if isNarrator(name) && rest != "" {
			p.addDialogue(name, rest, "", ln, false)
			return true
		}
	}
	return false
}

// openBlock starts a dialogue block for a cue whose lines follow on the next lines.
func (p *parser) openBlock(name, paren string, ln int) {
	p.endBlock()
	p.speaker, p.pendingParen = name, paren
	if p.scene < 0 {
		p.ensureScene(ln)
	}
}

// describe records a character description from a speaker cue or cast field.
func (p *parser) describe(name, desc string, ln int) {
	p.descs = append(p.descs, descNote{name: name, desc: desc, line: ln})
}

// leadParenRe and tailParenRe find a parenthetical at the start or end of a line of
// dialogue: 林晓：（低声）你来了。（转身）
var (
	leadParenRe = regexp.MustCompile(`^[(（]([^()（）]{1,30})[)）]\s*`)
	tailParenRe = regexp.MustCompile(`\s*[(（]([^()（）]{1,60})[)）]$`)
)

// addDialogue appends a line of dialogue to the current shot. In shots the parser opened
// itself, a line that would take the shot past MaxShotSeconds starts a new shot. block
// marks lines of an open dialogue block, which continue the block's last line.
func (p *parser) addDialogue(name, text, paren string, ln int, block bool) {
	text = strings.TrimSpace(text)
	if m := leadParenRe.FindStringSubmatch(text); m != nil && paren == "" {
		paren, text = strings.TrimSpace(m[1]), strings.TrimSpace(text[len(m[0]):])
	}
	var stage string
	if m := tailParenRe.FindStringSubmatchIndex(text); m != nil && m[0] > 0 {
		stage = text[m[2]:m[3]]
		text = strings.TrimSpace(text[:m[0]])
	}
	if text == "" {
		if stage != "" {
			p.action(stage, ln, false, nil)
		}
		return
	}
	if p.scene >= 0 && p.shot >= 0 && p.kind == shotImplicit {
		sh, _ := p.cur()
		total := speechSeconds(text)
		for _, l := range sh.Dialogue {
			total += speechSeconds(l.Text)
		}
		if len(sh.Dialogue) > 0 && total > MaxShotSeconds && !(block && p.blockLine >= 0) {
			p.newShot(shotImplicit, ln)
		}
	}
	p.ensureShot(ln)
	sh, m := p.cur()
	if block && p.blockLine >= 0 && p.blockLine < len(sh.Dialogue) && paren == "" {
		l := &sh.Dialogue[p.blockLine]
		l.Text = joinText(l.Text, text)
	} else {
		sh.Dialogue = append(sh.Dialogue, Line{Character: name, Text: text, Parenthetical: paren})
		m.trace = append(m.trace, mention{name: name, line: ln, offscreen: isOffscreen(paren)})
		if block {
			p.blockLine = len(sh.Dialogue) - 1
		}
	}
	if stage != "" {
		p.appendAction(stage, ln)
	}
}

// joinText joins two pieces of text: directly after Chinese punctuation, else with a
// space.
func joinText(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	last, _ := utf8.DecodeLastRuneInString(a)
	first, _ := utf8.DecodeRuneInString(b)
	if strings.ContainsRune("。！？…”」』，、；：）", last) || (isCJK(last) && isCJK(first)) {
		if isCJK(last) && isCJK(first) {
			return a + "，" + b
		}
		return a + b
	}
	return a + " " + b
}

// attribute applies a "key: value" detail line to the current shot.
func (p *parser) attribute(kind int, key, val string, ln int, i int) {
	if val == "" {
		return
	}
	switch kind {
	case attrCamera:
		p.ensureShot(ln)
		terms := scanCamera(val, true)
		if len(terms) == 0 {
			p.warn(ln, "camera direction %q not recognised; kept as action", val)
			p.appendAction(val, ln)
			return
		}
		sh, _ := p.cur()
		for _, t := range terms {
			sh.Camera = appendUnique(sh.Camera, t)
		}
	case attrDuration:
		p.ensureShot(ln)
		d, _, _, ok := findDuration(val)
		if !ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
				d, ok = f, true
			}
		}
		if !ok {
			p.warn(ln, "duration %q not understood", val)
			return
		}
		p.setDuration(d, ln)
	case attrPlace:
		p.ensureShot(ln)
		sh, _ := p.cur()
		sh.Place = val
	case attrTime:
		p.ensureScene(ln)
		if sc := &p.sb.Scenes[p.scene]; sc.Time == "" {
			_, tod := splitPlaceTime(val)
			if tod == "" {
				tod = val
			}
			sc.Time = tod
		}
	case attrCharacters:
		p.ensureShot(ln)
		_, m := p.cur()
		for _, part := range splitNames(val) {
			name, paren, _ := strings.Cut(part, "（")
			if name == part {
				name, paren, _ = strings.Cut(part, "(")
			}
			name = strings.TrimSpace(name)
			if desc := strings.TrimRight(strings.TrimSpace(paren), ")）"); desc != "" {
				p.describe(name, desc, ln)
			}
			if name != "" {
				m.extraChars = appendUnique(m.extraChars, name)
				m.trace = append(m.trace, mention{name: name, line: ln})
			}
		}
	case attrAction:
		p.action(val, ln, false, nil)
	case attrDialogue:
		if k, v, ok := splitColon(val); ok && p.dialogueLine(k, v, ln) {
			return
		}
		p.ensureShot(ln)
		speaker := ""
		if sh, m := p.cur(); len(m.extraChars) == 1 {
			speaker = m.extraChars[0]
		} else if len(sh.Dialogue) > 0 {
			speaker = sh.Dialogue[len(sh.Dialogue)-1].Character
		}
		p.addDialogue(speaker, val, "", ln, false)
	case attrNote:
		// Production notes are for the crew, not the model.
	case attrSound:
		p.ensureShot(ln)
		sep := ": "
		if isCJKString(key) {
			sep = "："
		}
		p.appendAction(key+sep+val, ln)
	}
}

// splitNames splits a cast list such as "林晓、周总" or "Anna, Ben" outside brackets.
func splitNames(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch {
		case r == '(' || r == '（':
			depth++
		case r == ')' || r == '）':
			depth--
		case depth == 0 && strings.ContainsRune(",，、/;；", r):
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + utf8.RuneLen(r)
		}
	}
	out = append(out, strings.TrimSpace(s[start:]))
	return out
}

// setDuration records an explicit duration for the current shot; only the first counts.
func (p *parser) setDuration(d float64, ln int) {
	_, m := p.cur()
	if m.durLine > 0 {
		p.warn(ln, "second duration %gs for one shot ignored", d)
		return
	}
	m.explicitDur, m.durLine = d, ln
}

// action strips camera directions and durations from text and appends the rest to the
// current shot as action. In shots the parser opened itself, a new paragraph of action
// (or action after dialogue) starts a new shot. terms are directions already found.
func (p *parser) action(text string, ln int, marker bool, terms []string) {
	rest, found, dur, hasDur := stripDirections(text, marker)
	terms = append(terms, found...)
	if p.scene >= 0 && p.shot >= 0 && p.kind == shotImplicit && rest != "" {
		sh, _ := p.cur()
		hasContent := sh.Action != "" || len(sh.Dialogue) > 0
		// A line led by a direction (【近景】…, 特写：…) is a new shot in unmarked scripts.
		if len(sh.Dialogue) > 0 || (p.afterBlank && sh.Action != "") ||
			(!marker && len(found) > 0 && hasContent) {
			p.newShot(shotImplicit, ln)
		}
	}
	if rest == "" && len(terms) == 0 && !hasDur {
		if strings.TrimSpace(text) != "" {
			p.warn(ln, "line has no words; ignored")
		}
		return
	}
	p.ensureShot(ln)
	sh, _ := p.cur()
	for _, t := range terms {
		sh.Camera = appendUnique(sh.Camera, t)
	}
	if hasDur {
		p.setDuration(dur, ln)
	}
	if rest != "" {
		p.appendAction(rest, ln)
	}
}

// junkRe spots text that is probably not part of the script: markup, code, links.
var junkRe = regexp.MustCompile(`</?[a-zA-Z][^>]*>|https?://|[{}]|\$\{|;\s*$|^//|\\[a-z]`)

// appendAction adds text to the current shot's action and checks it for oddities.
func (p *parser) appendAction(text string, ln int) {
	p.ensureShot(ln)
	sh, m := p.cur()
	if !strings.ContainsFunc(text, func(r rune) bool { return unicode.IsLetter(r) }) {
		p.warn(ln, "line has no words; ignored")
		return
	}
	switch {
	case junkRe.MatchString(text):
		p.warn(ln, "line looks like markup, code or a link; kept as action")
	case utf8.RuneCountInString(text) > 400:
		p.warn(ln, "very long action line (%d characters); consider splitting it into shots",
			utf8.RuneCountInString(text))
	case strings.ContainsRune(text, '\uFFFD'):
		// Already reported when the line was read.
	}
	sh.Action = joinText(sh.Action, text)
	m.trace = append(m.trace, mention{text: text, line: ln})
}

// stripDirections removes camera directions and durations that lead the text, sit in
// brackets of their own or trail it, e.g. "特写，林晓的手（3秒）" → "林晓的手". On marker
// lines, camera words elsewhere in the text are also recorded (but left in the text).
func stripDirections(text string, marker bool) (string, []string, float64, bool) {
	var terms []string
	var dur float64
	hasDur := false
	take := func(d float64) {
		if !hasDur {
			dur, hasDur = d, true
		}
	}
	s := strings.TrimSpace(text)
	for changed := true; changed && s != ""; {
		changed = false
		s = strings.TrimLeft(trimLeadingSeparators(s), ".。 ")
		// A bracketed group of directions: 【特写】, [CU], (3s), （近景，5秒）.
		if g, rest, ok := leadingGroup(s); ok {
			if ts, d, hd, ok := directionsOnly(g); ok {
				terms = append(terms, ts...)
				if hd {
					take(d)
				}
				s, changed = rest, true
				continue
			}
		}
		if a, end, ok := matchAliasAt(s, 0, marker); ok {
			terms = appendUnique(terms, a.term)
			// "Close on her hands" is a sentence: keep it, only note the direction.
			if isCJKString(a.alias) || a.weak || punctAfter(s, end) {
				s, changed = s[end:], true
				continue
			}
		}
		if d, start, end, ok := findDuration(s); ok && start == 0 && (end == len(s) ||
			nextIsSep(s, end)) {
			take(d)
			s, changed = s[end:], true
		}
	}
	s = strings.TrimSpace(s)
	// Bracketed directions elsewhere, and a duration or direction at the very end.
	s = groupRe.ReplaceAllStringFunc(s, func(g string) string {
		inner := g[len(string([]rune(g)[0])) : len(g)-len(string([]rune(g)[len([]rune(g))-1]))]
		if ts, d, hd, ok := directionsOnly(inner); ok {
			terms = append(terms, ts...)
			if hd {
				take(d)
			}
			return " "
		}
		return g
	})
	if m := tailDurRe.FindStringSubmatchIndex(s); m != nil {
		if d, ok := wholeDuration(s[m[2]:m[3]]); ok {
			take(d)
			s = s[:m[2]]
		}
	}
	if marker {
		for _, t := range scanCamera(s, false) {
			terms = appendUnique(terms, t)
		}
	}
	s = strings.TrimRight(cleanupSpaces(s), " ,，、;；:：-–—")
	dedup := terms[:0:0]
	for _, t := range terms {
		dedup = appendUnique(dedup, t)
	}
	return s, dedup, dur, hasDur
}

// groupRe finds bracketed groups; tailDurRe a duration after a separator at the end.
var (
	groupRe   = regexp.MustCompile(`[(（\[【][^()（）\[\]【】]{1,40}[)）\]】]`)
	tailDurRe = regexp.MustCompile(`[\s,，、;；:：\-–—。.]+(\d{1,3}(?:\.\d{1,2})?\s?(?i:seconds|second|secs|sec|s|秒钟|秒))[.。]?$`)
)

// nextIsSep reports whether s[i:] starts with a separator.
func nextIsSep(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isSeparator(r)
}

// punctAfter reports whether s[i:] is empty or starts, after spaces, with something
// other than a Latin word: "Wide shot — …", "Close-up: …", "close-up 3s", "wide shot 雨夜".
// "Close on her hands" continues a sentence, so the direction stays in the text.
func punctAfter(s string, i int) bool {
	rest := strings.TrimLeft(s[i:], " \t")
	if rest == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return !isWordRune(r) || unicode.IsDigit(r)
}

// leadingGroup splits a leading bracketed group off s.
func leadingGroup(s string) (inner, rest string, ok bool) {
	loc := groupRe.FindStringIndex(s)
	if loc == nil || loc[0] != 0 {
		return "", "", false
	}
	g := s[:loc[1]]
	_, open := utf8.DecodeRuneInString(g)
	_, closeSize := utf8.DecodeLastRuneInString(g)
	return g[open : len(g)-closeSize], s[loc[1]:], true
}

// directionsOnly parses a group made only of camera directions (weak aliases allowed)
// and at most one duration, e.g. "特写，3秒" or "close-up, 3 sec".
func directionsOnly(g string) ([]string, float64, bool, bool) {
	var d float64
	hasDur := false
	if v, start, end, ok := findDuration(g); ok {
		d, hasDur = v, true
		g = g[:start] + " " + g[end:]
	}
	if strings.TrimFunc(g, func(r rune) bool { return isSeparator(r) || r == '.' }) == "" {
		return nil, d, hasDur, hasDur
	}
	terms, ok := wholeCamera(g)
	if !ok {
		return nil, 0, false, false
	}
	return terms, d, hasDur, true
}

// isOffscreen reports whether a parenthetical puts the speaker off screen: (O.S.), (V.O.),
// （画外音）.
func isOffscreen(paren string) bool {
	switch strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(paren, ".", ""), " ", "")) {
	case "os", "oc", "vo", "offscreen", "off", "画外音", "画外", "内心独白", "画外音传来":
		return true
	}
	return false
}
