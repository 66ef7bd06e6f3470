package pipeline

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Parse turns a screenplay, 短剧 script or shot list into a Storyboard.
//
// It recognises scene headings (场景一, 第N场, INT./EXT., Scene N, Markdown headings,
// 【…】), shot markers (镜头N, Shot N, numbered lists, bullets), dialogue (角色：台词,
// NAME: line, screenplay cues in capitals), parentheticals, durations and camera
// directions in Chinese and English. Anything else becomes action, and lines that look
// wrong are listed in Storyboard.Warnings; Parse never fails on content. It returns an
// error only for input that is empty (ErrEmptyScript) or larger than MaxScriptBytes
// (ErrScriptTooLarge). The result is deterministic.
func Parse(script string, opts ParseOptions) (*Storyboard, error) {
	if len(script) > MaxScriptBytes {
		return nil, fmt.Errorf("pipeline: parsing script of %d bytes (limit %d): %w",
			len(script), MaxScriptBytes, ErrScriptTooLarge)
	}
	script = strings.TrimPrefix(script, "\uFEFF")
	if strings.TrimFunc(script, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\uFEFF' || unicode.IsControl(r)
	}) == "" {
		return nil, fmt.Errorf("pipeline: parsing script: %w", ErrEmptyScript)
	}
	script = strings.ReplaceAll(script, "\r\n", "\n")
	script = strings.ReplaceAll(script, "\r", "\n")
	p := &parser{
		sb:    &Storyboard{},
		lines: strings.Split(script, "\n"),
		scene: -1,
		shot:  -1,
	}
	p.run()
	p.finish(script, opts)
	return p.sb, nil
}

// parser holds the state of one Parse call; it is never shared.
type parser struct {
	sb    *Storyboard
	lines []string
	// scene and shot index the current scene and shot, -1 when there is none yet.
	scene, shot int
	// kind is how the current shot was opened.
	kind markerKind
	// meta runs parallel to the scenes' shots.
	meta [][]shotMeta
	// sceneLevel is the Markdown level of the heading that opened the scene, 0 if none.
	sceneLevel int
	// afterBlank is set when the previous line was blank.
	afterBlank bool
	// speaker is the cue of an open dialogue block (screenplay cue or "林晓：" alone).
	speaker      string
	pendingParen string
	// blockLine is the dialogue index the open block last wrote to, -1 when none.
	blockLine int
	// sawContent is set once anything but a title has been read.
	sawContent bool
	// implicitScene is set when content arrived before any scene heading.
	implicitScene bool
	preSceneLine  int
	// descs holds character descriptions found in speaker cues and cast fields.
	descs []descNote
}

// shotMeta is parse-time bookkeeping for one shot that does not belong in the document.
type shotMeta struct {
	line        int
	trace       []mention
	explicitDur float64
	durLine     int
	extraChars  []string
}

// descNote is a character description and the line it was found on.
type descNote struct {
	name, desc string
	line       int
}

// mention is one piece of shot content in script order, used to order Shot.Characters.
type mention struct {
	name      string // a speaker or a name from a cast field
	text      string // action text
	line      int
	offscreen bool // the speaker is heard, not seen (O.S., V.O., 画外音)
}

// warn records a warning for a 1-based line.
func (p *parser) warn(line int, format string, args ...any) {
	p.sb.Warnings = append(p.sb.Warnings, Warning{Line: line, Message: fmt.Sprintf(format, args...)})
}

// run classifies every line in order.
func (p *parser) run() {
	for i, raw := range p.lines {
		ln := i + 1
		line, indented := p.clean(raw, ln)
		if line == "" {
			p.afterBlank = true
			p.endBlock()
			if p.kind == shotListItem || p.kind == shotBullet {
				p.kind = shotImplicit // a blank line closes a list item
			}
			continue
		}
		p.handle(line, indented, i)
		p.afterBlank = false
	}
}

// controlRe finds control characters other than tab, which editors sometimes leave in
// pasted text.
var controlRe = regexp.MustCompile(`[\x00-\x08\x0B-\x1F\x7F\x{200B}\x{FEFF}]`)

// clean repairs encoding problems, folds full-width letters and digits, strips Markdown
// emphasis and quoting, and reports whether the line was indented.
func (p *parser) clean(raw string, ln int) (string, bool) {
	if !utf8.ValidString(raw) {
		p.warn(ln, "invalid UTF-8 replaced with U+FFFD")
		raw = strings.ToValidUTF8(raw, "\uFFFD")
	}
	if controlRe.MatchString(raw) {
		if strings.ContainsFunc(raw, func(r rune) bool {
			return unicode.IsControl(r) && r != '\t'
		}) {
			p.warn(ln, "control characters removed")
		}
		raw = controlRe.ReplaceAllString(raw, "")
	}
	indented := strings.HasPrefix(raw, "\t") || strings.HasPrefix(raw, "  ") ||
		strings.HasPrefix(raw, "\u3000")
	line := strings.TrimSpace(foldWidth(raw))
	for strings.HasPrefix(line, ">") {
		line = strings.TrimSpace(line[1:])
	}
	line = strings.TrimSpace(strings.ReplaceAll(line, "**", ""))
	return line, indented
}

// endBlock closes an open dialogue block.
func (p *parser) endBlock() {
	p.speaker, p.pendingParen, p.blockLine = "", "", -1
}

// episodeRe matches episode lines (第1集 …) that belong to the title.
var episodeRe = regexp.MustCompile(`^第\s*` + zhNum + `\s*集`)

// handle classifies one non-blank line; i is its 0-based index.
func (p *parser) handle(line string, indented bool, i int) {
	ln := i + 1
	switch {
	case ruleRe.MatchString(line) || strings.HasPrefix(line, "```"):
		return
	case transitionRe.MatchString(line):
		p.endBlock()
		return
	}
	if m := markdownRe.FindStringSubmatch(line); m != nil && strings.HasPrefix(line, "#") {
		p.markdownHeading(len(m[1]), m[2], ln)
		return
	}
	if p.takeTitle(line) {
		return
	}
	if h, ok := parseSceneHeading(line); ok {
		p.startScene(h, 0, ln)
		return
	}
	if mk, ok := parseShotMarker(line); ok {
		p.shotMarker(mk, indented, ln)
		return
	}
	if !p.sawContent && p.scene < 0 && p.sb.Title == "" && p.nextBlank(i) && looksLikeTitle(line) {
		p.sb.Title = line
		return
	}
	p.content(line, ln, false, i)
}

// takeTitle consumes title fields, episode lines and 《…》 titles before the first scene.
func (p *parser) takeTitle(line string) bool {
	if p.sawContent || p.scene >= 0 {
		return false
	}
	if m := titleRe.FindStringSubmatch(line); m != nil {
		p.sb.Title = joinTitle(p.sb.Title, strings.TrimSpace(m[1]))
		return true
	}
	if episodeRe.MatchString(line) {
		p.sb.Title = joinTitle(p.sb.Title, line)
		return true
	}
	if inner, ok := unwrapBrackets(line, "《》"); ok && p.sb.Title == "" {
		p.sb.Title = inner
		return true
	}
	if strings.HasPrefix(line, "《") && strings.Contains(line, "》") && p.sb.Title == "" {
		p.sb.Title = strings.TrimSpace(strings.NewReplacer("《", "", "》", " ").Replace(line))
		return true
	}
	return false
}

// joinTitle appends an episode line to a title.
func joinTitle(title, more string) string {
	if title == "" {
		return more
	}
	return title + " " + more
}

// looksLikeTitle reports whether a first line reads as a title rather than a sentence.
func looksLikeTitle(line string) bool {
	if utf8.RuneCountInString(line) > 40 || strings.ContainsAny(line, ":：") {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(line)
	if strings.ContainsRune(".。!！?？…,，", last) {
		return false
	}
	_, _, ok := matchAliasAt(line, 0, false)
	return !ok
}

// nextBlank reports whether the line after index i is blank or absent.
func (p *parser) nextBlank(i int) bool {
	return i+1 >= len(p.lines) || strings.TrimSpace(p.lines[i+1]) == ""
}

// markdownHeading handles "#" headings: title, scene or shot depending on content and
// level.
func (p *parser) markdownHeading(level int, text string, ln int) {
	if text == "" {
		return
	}
	if h, ok := parseSceneHeading(text); ok {
		p.startScene(h, level, ln)
		return
	}
	if mk, ok := parseShotMarker(text); ok && mk.kind == shotExplicit {
		p.shotMarker(mk, false, ln)
		return
	}
	if p.sb.Title == "" && !p.sawContent && p.scene < 0 && level == 1 {
		p.sb.Title = text
		return
	}
	if p.scene >= 0 && p.sceneLevel > 0 && level > p.sceneLevel {
		p.shotMarker(marker{kind: shotExplicit, rest: text}, false, ln)
		return
	}
	h := heading{text: text}
	h.place, h.time = splitPlaceTime(text)
	p.startScene(h, level, ln)
}

// startScene opens a new scene. A scene the parser opened implicitly for text before the
// first heading is kept (with a warning) when it has shots and replaced otherwise.
func (p *parser) startScene(h heading, level int, ln int) {
	p.endBlock()
	if p.implicitScene && p.scene == 0 && len(p.sb.Scenes[0].Shots) == 0 {
		p.sb.Scenes, p.meta, p.scene = nil, nil, -1
	} else if p.implicitScene && p.scene == 0 {
		p.warn(p.preSceneLine, "text before the first scene heading was put in a scene of its own")
	}
	p.implicitScene = false
	p.sawContent = true
	if h.number > 0 && h.number != len(p.sb.Scenes)+1 {
		p.warn(ln, "scene numbered %d is scene %d of the storyboard", h.number, len(p.sb.Scenes)+1)
	}
	p.sb.Scenes = append(p.sb.Scenes, Scene{Heading: h.text, Place: h.place, Time: h.time})
	p.meta = append(p.meta, nil)
	p.scene, p.shot, p.kind, p.sceneLevel = len(p.sb.Scenes)-1, -1, shotImplicit, level
}

// ensureScene opens an implicit scene for content that comes before any heading.
func (p *parser) ensureScene(ln int) {
	if p.scene >= 0 {
		return
	}
	p.sb.Scenes = append(p.sb.Scenes, Scene{})
	p.meta = append(p.meta, nil)
	p.scene, p.shot, p.implicitScene, p.preSceneLine = 0, -1, true, ln
}

// newShot opens a shot of the given kind in the current scene.
func (p *parser) newShot(kind markerKind, ln int) {
	p.ensureScene(ln)
	p.sawContent = true
	sc := &p.sb.Scenes[p.scene]
	sc.Shots = append(sc.Shots, Shot{Place: sc.Place})
	p.meta[p.scene] = append(p.meta[p.scene], shotMeta{line: ln})
	p.shot, p.kind = len(sc.Shots)-1, kind
	p.blockLine = -1
}

// ensureShot opens an implicit shot when content arrives and none is open.
func (p *parser) ensureShot(ln int) {
	if p.scene < 0 || p.shot < 0 {
		p.newShot(shotImplicit, ln)
	}
}

// cur returns the current shot and its bookkeeping; ensureShot must have been called.
func (p *parser) cur() (*Shot, *shotMeta) {
	return &p.sb.Scenes[p.scene].Shots[p.shot], &p.meta[p.scene][p.shot]
}

// shotMarker opens a shot for 镜头N / Shot N / list items, or attaches a bullet to the
// current shot when the bullet is a detail of an explicitly marked shot.
func (p *parser) shotMarker(mk marker, indented bool, ln int) {
	p.endBlock()
	if h, ok := parseSceneHeading(mk.rest); ok && mk.kind == shotListItem {
		h.number = mk.number
		p.startScene(h, 0, ln)
		return
	}
	attach := p.shot >= 0 && (p.kind == shotExplicit ||
		(indented && (p.kind == shotListItem || p.kind == shotBullet)))
	if mk.kind == shotBullet || (mk.kind == shotListItem && indented) {
		if attach {
			p.content(mk.rest, ln, false, ln-1)
			return
		}
		mk.kind = shotListItem
	}
	p.newShot(mk.kind, ln)
	p.content(mk.rest, ln, true, ln-1)
}

// nextIsDialogue reports whether the line after index i can be the first line of a
// dialogue block: present, non-blank and not a structural line.
func (p *parser) nextIsDialogue(i int) bool {
	if i+1 >= len(p.lines) {
		return false
	}
	next := strings.TrimSpace(foldWidth(p.lines[i+1]))
	if next == "" || transitionRe.MatchString(next) || strings.HasPrefix(next, "#") {
		return false
	}
	if _, ok := parseSceneHeading(next); ok {
		return false
	}
	_, ok := parseShotMarker(next)
	return !ok
}

// finish derives what needs the whole script: language, cast, shot characters,
// durations and numbering, then sorts warnings by line.
func (p *parser) finish(script string, opts ParseOptions) {
	sb := p.sb
	switch opts.Language {
	case LangZhCN, LangEn:
		sb.Language = opts.Language
	case "":
		sb.Language = detectLanguage(script)
	default:
		sb.Language = detectLanguage(script)
		p.warn(0, "unknown language option %q ignored", opts.Language)
	}
	if opts.Title != "" {
		sb.Title = opts.Title
	}
	p.buildCast()
	for i := range sb.Scenes {
		sc := &sb.Scenes[i]
		sc.Number = i + 1
		if len(sc.Shots) == 0 {
			p.warn(0, "scene %d (%s) has no shots", sc.Number, sc.Heading)
		}
		for j := range sc.Shots {
			sc.Shots[j].Number = j + 1
			p.timeShot(&sc.Shots[j], &p.meta[i][j])
		}
	}
	if len(sb.Scenes) == 0 {
		p.warn(0, "no scenes or shots found")
	}
	slices.SortStableFunc(sb.Warnings, func(a, b Warning) int { return a.Line - b.Line })
	sb.normalize()
}

// timeShot sets DurationSeconds from the explicit duration or an estimate, warning when
// an explicit duration had to be clamped or cannot fit the dialogue.
func (p *parser) timeShot(sh *Shot, m *shotMeta) {
	speech := 0.0
	for _, l := range sh.Dialogue {
		speech += speechSeconds(l.Text)
	}
	if m.durLine > 0 {
		d := clampDuration(m.explicitDur)
		if d != m.explicitDur {
			p.warn(m.durLine, "duration %gs is outside %g–%g s; using %gs",
				m.explicitDur, MinShotSeconds, MaxShotSeconds, d)
		}
		if speech > d+0.5 {
			p.warn(m.durLine, "dialogue needs about %.0fs but the shot lasts %gs", speech, d)
		}
		sh.DurationSeconds, sh.ExplicitDuration = d, true
		return
	}
	est := speech + actionSeconds(sh.Action)
	if speech > 0 {
		est += 0.5 // a beat before the first line
	}
	if est == 0 {
		est = DefaultShotSeconds
	}
	if speech > MaxShotSeconds {
		p.warn(m.line, "dialogue needs about %.0fs, more than a %gs shot; consider splitting it",
			speech, MaxShotSeconds)
	}
	sh.DurationSeconds = clampDuration(est)
}
