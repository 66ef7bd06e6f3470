package pipeline

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Patterns for structural lines. They run on lines whose full-width letters and digits
// were already folded to ASCII, so "Ｓｃｅｎｅ　２" matches like "Scene 2".
var (
	zhNum = `([0-9]{1,4}|[一二三四五六七八九十两〇零]{1,3})`
	// 场景一：咖啡馆 日 / 场景1 / 场景：咖啡馆
	sceneZhRe = regexp.MustCompile(`^场景\s*` + zhNum + `?(?:\s|[:：、.\-—–·]|$)(.*)$`)
	// 第一场 / 第3场 / 第二幕
	sceneNthRe = regexp.MustCompile(`^第\s*` + zhNum + `\s*[场幕](.*)$`)
	// 内景 咖啡馆 日 (Chinese screenplay sluglines)
	sceneIntZhRe = regexp.MustCompile(`^(内景|外景|内/外景|内外景)(?:\s|[:：、.\-—–·]|$)(.*)$`)
	// INT. KITCHEN - NIGHT, EXT./INT. …, I/E …; lower case only with the dot.
	sceneIntRe = regexp.MustCompile(
		`^(?:(?i:INT\.?/EXT\.?|EXT\.?/INT\.?|INT/EXT|I/E\.?|INT\.|EXT\.)|INT|EXT)(?:\s+|$)(.*)$`)
	// Scene 3: …, SCENE TWO — …
	sceneEnRe = regexp.MustCompile(`^(?i:scene)(?:\s*#?\s*([0-9]{1,4}|[A-Za-z]{3,6})` +
		`(?:\s*[:.\-—–]\s*|\s+|$)|\s*[:\-—–]\s*)(.*)$`)
	// 镜头1 / 镜头一 / 镜头 3：
	shotZhRe = regexp.MustCompile(`^镜头\s*` + zhNum + `(?:\s|[:：、.\-—–·)）]|$)(.*)$`)
	// Shot 4 / SHOT #2 / Shot One
	shotEnRe = regexp.MustCompile(
		`^(?i:shot)\s*#?\s*([0-9]{1,4}|one|two|three|four|five|six|seven|eight|nine|ten|` +
			`eleven|twelve)\b\s*[:.\-—–)]?\s*(.*)$`)
	// 1. / 1、 / 1) / (1) / （1）
	numberedRe = regexp.MustCompile(`^(?:([0-9]{1,3})(?:[.、)）]|\.\))|[(（]([0-9]{1,3})[)）])\s*(.*)$`)
	// - item / * item / • item
	bulletRe = regexp.MustCompile(`^[-*•·+]\s+(.*)$`)
	// Markdown heading.
	markdownRe = regexp.MustCompile(`^(#{1,6})\s*(.*?)\s*#*$`)
	// Transitions carry no picture of their own.
	transitionRe = regexp.MustCompile(`^(?:(?i:fade in|fade out|fade to black|cut to|` +
		`smash cut to|match cut to|dissolve to|the end)[:.]?|淡入|淡出|切至|切到|转场|黑场|` +
		`剧终|完|（完）|【完】|全剧终|未完待续)$`)
	// Markdown rules and similar separators.
	ruleRe = regexp.MustCompile(`^(?:[-*_=~]\s*){3,}$`)
	// Title fields: 标题：…, 剧名：…, Title: …
	titleRe = regexp.MustCompile(`^(?:标题|剧名|片名|(?i:title))\s*[:：]\s*(.+)$`)
)

// heading is the result of recognising a scene heading.
type heading struct {
	text   string // heading as written, markers removed
	number int    // explicit number, 0 when none
	place  string
	time   string
}

// parseSceneHeading recognises the scene heading styles of the package documentation.
// Whole-line 【…】 groups are unwrapped first so 【场景二：天台·夜】 works like 场景二.
func parseSceneHeading(line string) (heading, bool) {
	if inner, ok := unwrapBrackets(line, "【】", "[]"); ok {
		line = inner
	}
	var num, rest string
	switch {
	case sceneZhRe.MatchString(line):
		m := sceneZhRe.FindStringSubmatch(line)
		num, rest = m[1], m[2]
	case sceneNthRe.MatchString(line):
		m := sceneNthRe.FindStringSubmatch(line)
		num, rest = m[1], m[2]
	case sceneIntZhRe.MatchString(line):
		rest = line
	case sceneIntRe.MatchString(line):
		rest = line
	case sceneEnRe.MatchString(line):
		m := sceneEnRe.FindStringSubmatch(line)
		if m[1] != "" {
			if _, ok := parseNumber(m[1]); !ok {
				return heading{}, false // "Scenery …" or "Scene change" is prose
			}
		}
		num, rest = m[1], m[2]
	default:
		return heading{}, false
	}
	h := heading{text: cleanupSpaces(trimLeadingSeparators(rest))}
	if n, ok := parseNumber(num); ok {
		h.number = n
	}
	h.place, h.time = splitPlaceTime(h.text)
	return h, true
}

// splitPlaceTime splits a heading such as "INT. KITCHEN - NIGHT" or "咖啡馆 日 内" into
// place and time of day, dropping interior/exterior marks and continuity notes.
func splitPlaceTime(text string) (place, tod string) {
	text = strings.TrimSpace(text)
	for _, p := range []string{"INT./EXT.", "EXT./INT.", "INT/EXT", "I/E.", "I/E", "INT.",
		"EXT.", "INT ", "EXT ", "内/外景", "内外景", "内景", "外景"} {
		if len(text) >= len(p) && strings.EqualFold(text[:len(p)], p) {
			text = text[len(p):]
			break
		}
	}
	fields := strings.FieldsFunc(text, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",，、;；:：/|·・-–—()（）", r)
	})
	var kept []string
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		low := strings.ToLower(strings.Trim(f, "."))
		if i+1 < len(fields) {
			pair := low + " " + strings.ToLower(fields[i+1])
			if t, ok := timeWords[pair]; ok && tod == "" {
				tod = t
				i++
				continue
			}
			if headingNoise[pair] {
				i++
				continue
			}
		}
		if t, ok := timeWords[low]; ok && (tod == "" || tod == t) {
			tod = t
			continue
		}
		if headingNoise[low] {
			continue
		}
		kept = append(kept, f)
	}
	return strings.Join(kept, placeJoiner(kept)), tod
}

// placeJoiner joins place fragments: nothing between Chinese fragments (咖啡馆 二楼 →
// 咖啡馆二楼 reads wrong), so a middle dot is used there and a space in English.
func placeJoiner(parts []string) string {
	for _, p := range parts {
		if isCJKString(p) {
			return "·"
		}
	}
	return " "
}

// marker is a recognised shot marker.
type marker struct {
	kind   markerKind
	number int
	rest   string
}

// markerKind says how a shot was opened, which decides what later lines attach to it.
type markerKind int

const (
	// shotImplicit shots are opened by the parser itself, one per paragraph of action.
	shotImplicit markerKind = iota
	// shotExplicit shots are opened by 镜头N, Shot N or a Markdown heading.
	shotExplicit
	// shotListItem shots are opened by a numbered list item or bullet.
	shotListItem
	// shotBullet is a bullet that has not yet been decided to open a shot.
	shotBullet
)

// parseShotMarker recognises 镜头N, Shot N, numbered list items and bullets, also when
// wrapped in 【】 (【镜头3】特写 …).
func parseShotMarker(line string) (marker, bool) {
	if strings.HasPrefix(line, "【") {
		if end := strings.Index(line, "】"); end > 0 {
			inner := line[len("【"):end]
			if m, ok := parseShotMarker(inner); ok && m.kind == shotExplicit && m.rest == "" {
				m.rest = strings.TrimSpace(line[end+len("】"):])
				return m, true
			}
		}
	}
	if m := shotZhRe.FindStringSubmatch(line); m != nil {
		n, _ := parseNumber(m[1])
		return marker{kind: shotExplicit, number: n, rest: strings.TrimSpace(m[2])}, true
	}
	if m := shotEnRe.FindStringSubmatch(line); m != nil {
		n, _ := parseNumber(m[1])
		return marker{kind: shotExplicit, number: n, rest: strings.TrimSpace(m[2])}, true
	}
	if m := numberedRe.FindStringSubmatch(line); m != nil {
		rest := m[3]
		// "1.5s" or "2.30" is a number, not a list item.
		if r, _ := utf8.DecodeRuneInString(rest); unicode.IsDigit(r) {
			return marker{}, false
		}
		num := m[1] + m[2]
		n, _ := parseNumber(num)
		return marker{kind: shotListItem, number: n, rest: strings.TrimSpace(rest)}, true
	}
	if m := bulletRe.FindStringSubmatch(line); m != nil {
		return marker{kind: shotBullet, rest: strings.TrimSpace(m[1])}, true
	}
	return marker{}, false
}

// Kinds of "key: value" fields a shot line may carry.
const (
	attrCamera = iota + 1
	attrDuration
	attrPlace
	attrTime
	attrCharacters
	attrAction
	attrDialogue
	attrNote
	attrSound
)

// attributeKeys maps field names used in shot tables and lists to their kind. Keys are
// lower case; Chinese keys are matched as written.
var attributeKeys = map[string]int{
	"景别": attrCamera, "运镜": attrCamera, "镜头运动": attrCamera, "机位": attrCamera,
	"拍摄手法": attrCamera, "镜头语言": attrCamera, "镜头": attrCamera, "角度": attrCamera,
	"camera": attrCamera, "shot type": attrCamera, "shot size": attrCamera,
	"angle": attrCamera, "movement": attrCamera, "camera move": attrCamera,
	"时长": attrDuration, "秒数": attrDuration, "duration": attrDuration,
	"length": attrDuration,
	"地点":     attrPlace, "场地": attrPlace, "location": attrPlace, "place": attrPlace,
	"setting": attrPlace,
	"时间":      attrTime, "time": attrTime, "time of day": attrTime,
	"人物": attrCharacters, "角色": attrCharacters, "出场人物": attrCharacters,
	"characters": attrCharacters, "cast": attrCharacters,
	"画面": attrAction, "动作": attrAction, "内容": attrAction, "画面内容": attrAction,
	"描述": attrAction, "action": attrAction, "visual": attrAction, "visuals": attrAction,
	"description": attrAction, "picture": attrAction,
	"台词": attrDialogue, "对白": attrDialogue, "dialogue": attrDialogue,
	"备注": attrNote, "注": attrNote, "注意": attrNote, "note": attrNote, "notes": attrNote,
	"todo": attrNote,
	"音效":   attrSound, "音乐": attrSound, "配乐": attrSound, "bgm": attrSound,
	"字幕": attrSound, "sfx": attrSound, "music": attrSound, "sound": attrSound,
	"audio": attrSound, "super": attrSound, "text": attrSound, "on-screen text": attrSound,
	"caption": attrSound, "cta": attrSound, "logo": attrSound,
}

// splitColon splits "key：value" at the first full- or half-width colon. ok is false when
// there is no colon or the key is empty.
func splitColon(s string) (key, value string, ok bool) {
	i := strings.IndexAny(s, ":：")
	if i <= 0 {
		return "", "", false
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+size:]), true
}

// attributeOf returns the kind of a "key: value" line, or 0.
func attributeOf(key string) int {
	return attributeKeys[strings.ToLower(strings.TrimSpace(strings.Trim(key, "*_ ")))]
}

// speakerRe accepts speaker names: short Chinese names (possibly with ·), or up to four
// capitalised Latin words (ANNA, Dr. Lee, Mr Chen, VO), optionally with a parenthetical.
var (
	speakerZhRe = regexp.MustCompile(`^[\p{Han}·A-Za-z0-9]{1,8}$`)
	speakerEnRe = regexp.MustCompile(`^[A-Z][A-Za-z'.\-]*(?: [A-Z][A-Za-z'.\-]*){0,3}$`)
	parenTailRe = regexp.MustCompile(`^(.*?)\s*[(（]([^()（）]*)[)）]$`)
)

// notSpeakers are capitalised words that start "X: …" lines without being a speaker.
var notSpeakers = map[string]bool{
	"fade in": true, "fade out": true, "cut to": true, "int": true, "ext": true,
	"scene": true, "shot": true, "title": true, "note": true, "dissolve to": true,
	"close on": true, "insert": true, "back to": true, "later": true, "subtitle": true,
	"warning": true, "http": true, "https": true, "and": true, "but": true, "then": true,
}

// parseSpeaker checks whether s (the text before a colon) is a speaker name and splits
// off a parenthetical, e.g. "林晓（低声）" → "林晓", "低声".
func parseSpeaker(s string) (name, paren string, ok bool) {
	s = strings.TrimSpace(strings.Trim(s, "*_"))
	if m := parenTailRe.FindStringSubmatch(s); m != nil {
		s, paren = strings.TrimSpace(m[1]), strings.TrimSpace(m[2])
	}
	if inner, isBr := unwrapBrackets(s, "【】", "[]"); isBr {
		s = inner
	}
	if s == "" || notSpeakers[strings.ToLower(s)] || attributeOf(s) != 0 {
		return "", "", false
	}
	if isCJKString(s) {
		if !speakerZhRe.MatchString(s) || utf8.RuneCountInString(s) > 6 {
			return "", "", false
		}
		return s, paren, true
	}
	if !speakerEnRe.MatchString(s) || len(s) > 30 {
		return "", "", false
	}
	return s, paren, true
}

// capsSpeakerRe matches a screenplay character cue: a line in capitals, optionally with
// (V.O.), (O.S.) or (CONT'D) after it.
var capsSpeakerRe = regexp.MustCompile(
	`^([A-Z][A-Z0-9'.\- ]{0,28}[A-Z0-9.])\s*(?:\(([^()]{1,20})\))?$`)

// parseCapsSpeaker recognises a screenplay cue such as "ANNA" or "MR. CHEN (V.O.)".
func parseCapsSpeaker(line string) (name, paren string, ok bool) {
	m := capsSpeakerRe.FindStringSubmatch(line)
	if m == nil || transitionRe.MatchString(line) {
		return "", "", false
	}
	name = strings.TrimSpace(m[1])
	if notSpeakers[strings.ToLower(strings.TrimRight(name, "."))] || len(strings.Fields(name)) > 4 {
		return "", "", false
	}
	if _, isCam := wholeCamera(name); isCam {
		return "", "", false
	}
	paren = m[2]
	if strings.EqualFold(strings.ReplaceAll(paren, "’", "'"), "cont'd") {
		paren = ""
	}
	return name, paren, true
}

// isDescription tells a character description ("白衬衫，短发", "30s, red coat") from a
// delivery note ("低声", "whispering"): descriptions list several traits or an age.
func isDescription(paren string) bool {
	if paren == "" {
		return false
	}
	if strings.ContainsAny(paren, ",，、;；") || strings.Contains(paren, "岁") {
		return true
	}
	return strings.ContainsFunc(paren, unicode.IsDigit) && !isDurationOnly(paren)
}

// isDurationOnly reports whether s is only a duration such as "3 sec".
func isDurationOnly(s string) bool {
	_, ok := wholeDuration(s)
	return ok
}

// wholeCamera reports the camera terms of s when s consists only of camera directions
// (weak aliases allowed) and separators, e.g. "特写 推镜" or "close-up, dolly in".
func wholeCamera(s string) ([]string, bool) {
	s = strings.TrimSpace(s)
	var terms []string
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if isSeparator(r) || r == '.' || r == '。' {
			i += size
			continue
		}
		a, end, ok := matchAliasAt(s, i, true)
		if !ok {
			return nil, false
		}
		terms = appendUnique(terms, a.term)
		i = end
	}
	return terms, len(terms) > 0
}
