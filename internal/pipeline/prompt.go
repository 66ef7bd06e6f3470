package pipeline

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// ErrUnknownProvider is wrapped by Synthesize when a shot or the options name a provider
// missing from the profile table, which is almost always a typo in a project setting.
var ErrUnknownProvider = errors.New("pipeline: unknown provider")

// SynthOptions tunes Synthesize. The zero value writes plain prompts in the storyboard's
// language for the generic "sim" profile.
type SynthOptions struct {
	// Style is a preset name ("cinematic", "anime", "电影感", "写实" …, see StylePresets) or
	// free text used verbatim, e.g. "赛博朋克霓虹". Empty adds no style.
	Style string
	// Provider phrases prompts for one provider (runway, veo, kling, wan, sim …) when a
	// shot does not name its own. Empty means "sim".
	Provider string
	// Language is LangZhCN or LangEn for the prompt wording; empty means the
	// storyboard's language. Script text (action, names) is never translated.
	Language string
}

// ProviderProfile is how prompts are phrased for one video provider.
type ProviderProfile struct {
	// Name is the provider's configuration name.
	Name string
	// MaxRunes is the longest prompt the provider accepts, in characters (runes).
	MaxRunes int
	// Negative reports whether the provider takes a separate negative prompt.
	Negative bool
	// CameraFirst puts the camera direction before the subject ("Close-up: …"), the
	// order Runway's prompting guide recommends.
	CameraFirst bool
	// SpokenDialogue quotes dialogue in the prompt, for models that generate speech.
	SpokenDialogue bool
}

// providerProfiles is the per-provider phrasing table. Limits are the providers'
// documented prompt limits, rounded down where a provider counts bytes rather than
// characters; "sim" and the aggregators get a generous generic limit.
var providerProfiles = []ProviderProfile{
	{Name: "runway", MaxRunes: 1000, Negative: false, CameraFirst: true},
	{Name: "veo", MaxRunes: 1500, Negative: true, CameraFirst: true, SpokenDialogue: true},
	{Name: "kling", MaxRunes: 2500, Negative: true},
	{Name: "wan", MaxRunes: 800, Negative: true},
	{Name: "nano", MaxRunes: 1000, Negative: false},
	{Name: "replicate", MaxRunes: 2000, Negative: true},
	{Name: "sim", MaxRunes: 2000, Negative: true},
}

// Profile returns the phrasing profile of a provider; empty name means "sim".
func Profile(provider string) (ProviderProfile, bool) {
	if provider == "" {
		provider = "sim"
	}
	i := slices.IndexFunc(providerProfiles, func(p ProviderProfile) bool {
		return p.Name == strings.ToLower(provider)
	})
	if i < 0 {
		return ProviderProfile{}, false
	}
	return providerProfiles[i], true
}

// stylePreset expands a short style name into model-friendly wording per language.
type stylePreset struct {
	names  []string
	en, zh string
}

// stylePresets are the named styles; names are matched case-insensitively.
var stylePresets = []stylePreset{
	{[]string{"cinematic", "电影感", "电影"},
		"cinematic lighting, shallow depth of field, 35mm film look",
		"电影感光影，浅景深，35毫米胶片质感"},
	{[]string{"anime", "动漫", "二次元", "日漫"},
		"anime style, clean line art, cel shading, vivid colours",
		"日系动漫风格，干净线条，赛璐璐上色，色彩明快"},
	{[]string{"photorealistic", "realistic", "写实", "真实感"},
		"photorealistic, natural light, true-to-life skin and textures",
		"写实风格，自然光，真实的皮肤与材质细节"},
	{[]string{"documentary", "纪录片"},
		"documentary style, available light, observational framing",
		"纪录片风格，现场光，观察式构图"},
	{[]string{"commercial", "ad", "广告", "商业"},
		"high-end commercial look, crisp product lighting, polished colour grade",
		"高端广告质感，干净的产品布光，精致调色"},
	{[]string{"short drama", "短剧", "竖屏短剧"},
		"vertical 9:16 framing, dramatic lighting, expressive close acting",
		"竖屏9:16构图，戏剧化布光，人物表演细腻"},
	{[]string{"3d", "3d animation", "三维动画", "3d动画"},
		"3D animation, soft global illumination, stylised characters",
		"三维动画风格，柔和全局光照，风格化角色"},
}

// StylePresets lists the preset style names Synthesize expands, first name of each.
func StylePresets() []string {
	out := make([]string, len(stylePresets))
	for i, s := range stylePresets {
		out[i] = s.names[0]
	}
	return out
}

// styleText returns the wording of a style for a language: a preset's expansion, or the
// style itself when it is free text.
func styleText(style, lang string) string {
	style = strings.TrimSpace(style)
	for _, s := range stylePresets {
		for _, n := range s.names {
			if strings.EqualFold(n, style) {
				if lang == LangZhCN {
					return s.zh
				}
				return s.en
			}
		}
	}
	return style
}

// Negative prompts, applied where the provider supports them.
const (
	negativeEN = "blurry, distorted faces, extra fingers, warped hands, watermark, " +
		"garbled text, flicker, low resolution"
	negativeZH = "模糊，人脸变形，多余的手指，手部畸形，水印，乱码文字，画面闪烁，低分辨率"
)

// Synthesize writes Prompt (and NegativePrompt where supported) for every shot that is
// not Locked. A shot's own Provider wins over opts.Provider. Characters are described
// with the character bible (Storyboard.Characters plus descriptions found in action), so
// the same wardrobe and looks reach every shot a character appears in. Prompts never
// exceed the provider's limit: style, then dialogue, then the end of the action are
// dropped to fit. Output depends only on the inputs.
func Synthesize(sb *Storyboard, opts SynthOptions) error {
	if sb == nil {
		return fmt.Errorf("pipeline: synthesizing prompts: %w", errors.New("nil storyboard"))
	}
	lang := opts.Language
	if lang == "" {
		lang = sb.Language
	}
	if lang != LangZhCN {
		lang = LangEn
	}
	bible := characterBible(sb)
	for i := range sb.Scenes {
		sc := &sb.Scenes[i]
		for j := range sc.Shots {
			sh := &sc.Shots[j]
			if sh.Locked {
				continue
			}
			name := sh.Provider
			if name == "" {
				name = opts.Provider
			}
			prof, ok := Profile(name)
			if !ok {
				return fmt.Errorf("pipeline: synthesizing prompt for scene %d shot %d: %q: %w",
					sc.Number, sh.Number, name, ErrUnknownProvider)
			}
			sh.Prompt = shotPrompt(sc, sh, bible, prof, lang, opts.Style)
			sh.NegativePrompt = ""
			if prof.Negative {
				sh.NegativePrompt = negativeEN
				if lang == LangZhCN {
					sh.NegativePrompt = negativeZH
				}
			}
		}
	}
	return nil
}

// characterBible maps each character to its first description: Storyboard.Characters
// first, then "name (description)" found in action for characters it lacks.
func characterBible(sb *Storyboard) []Character {
	bible := slices.Clone(sb.Characters)
	p := &parser{}
	for _, sc := range sb.Scenes {
		for _, sh := range sc.Shots {
			for _, d := range p.actionDescriptions(sh.Action, nil, 0) {
				i := slices.IndexFunc(bible, func(c Character) bool {
					return castKey(c.Name) == castKey(d.name)
				})
				switch {
				case i < 0:
					bible = append(bible, Character{Name: d.name, Description: d.desc})
				case bible[i].Description == "":
					bible[i].Description = d.desc
				}
			}
		}
	}
	return bible
}

// shotPrompt assembles one prompt from its parts in the provider's order and fits it to
// the provider's limit.
func shotPrompt(sc *Scene, sh *Shot, bible []Character, prof ProviderProfile,
	lang, style string) string {
	zh := lang == LangZhCN
	var camera []string
	for _, c := range sh.Camera {
		if zh {
			camera = append(camera, cameraZH(c))
		} else {
			camera = append(camera, c)
		}
	}
	var subjects []string
	action := sh.Action
	for _, name := range sh.Characters {
		subjects = append(subjects, describeCharacter(name, bible, zh))
		action = stripDescription(action, name, bible)
	}
	place := sh.Place
	if place == "" {
		place = sc.Place
	}
	if !zh && place == strings.ToUpper(place) {
		place = strings.ToLower(place)
	}
	parts := promptParts{zh: zh}
	parts.camera = joinList(camera, zh)
	parts.subject = joinList(subjects, zh)
	parts.action = strings.TrimSpace(action)
	parts.setting = settingText(place, sc.Time, zh)
	parts.dialogue = dialogueText(sh.Dialogue, prof.SpokenDialogue, zh)
	parts.style = styleText(style, lang)
	return parts.fit(prof)
}

// describeCharacter returns "name (description)" from the bible, or the name.
func describeCharacter(name string, bible []Character, zh bool) string {
	for _, c := range bible {
		if castKey(c.Name) == castKey(name) && c.Description != "" {
			if zh || isCJKString(c.Description) {
				return name + "（" + c.Description + "）"
			}
			return name + " (" + c.Description + ")"
		}
	}
	return name
}

// stripDescription removes "(description)" after a name in action text, since the
// subject part of the prompt already carries it.
func stripDescription(action, name string, bible []Character) string {
	for _, c := range bible {
		if castKey(c.Name) != castKey(name) || c.Description == "" {
			continue
		}
		for _, f := range []string{"%s（%s）", "%s (%s)", "%s(%s)", "%s （%s）"} {
			action = strings.ReplaceAll(action, fmt.Sprintf(f, name, c.Description), name)
		}
	}
	return action
}

// joinList joins items with the list separator of the language.
func joinList(items []string, zh bool) string {
	if zh {
		return strings.Join(items, "，")
	}
	return strings.Join(items, ", ")
}

// settingText phrases place and time of day.
func settingText(place, tod string, zh bool) string {
	switch {
	case place == "" && tod == "":
		return ""
	case zh && tod == "":
		return "场景：" + place
	case zh && place == "":
		return "时间：" + tod
	case zh:
		return "场景：" + place + "，" + tod
	case tod == "":
		return "Location: " + place
	case place == "":
		return "Time: " + tod
	}
	return "Location: " + place + ", " + tod
}

// dialogueText renders dialogue: quoted for providers that generate speech, otherwise
// as an acting cue so mouths move without the model attempting to write text.
func dialogueText(lines []Line, spoken, zh bool) string {
	var out []string
	for _, l := range lines {
		who := l.Character
		switch {
		case spoken && zh:
			out = append(out, fmt.Sprintf("%s说：“%s”", who, l.Text))
		case spoken:
			out = append(out, fmt.Sprintf("%s says: \"%s\"", who, l.Text))
		case isNarrator(who):
			continue
		case zh:
			out = appendUnique(out, who+"开口说话")
		default:
			out = appendUnique(out, who+" speaks")
		}
	}
	if zh {
		return strings.Join(out, "；")
	}
	return strings.Join(out, "; ")
}

// promptParts are the pieces of one prompt before assembly.
type promptParts struct {
	zh                                                bool
	camera, subject, action, setting, dialogue, style string
}

// assemble joins the non-empty parts in provider order.
func (pp promptParts) assemble(prof ProviderProfile) string {
	end, sep := ". ", ". "
	if pp.zh {
		end, sep = "。", "。"
	}
	var b strings.Builder
	add := func(s string) {
		s = strings.TrimRight(strings.TrimSpace(s), ".。")
		if s == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s)
	}
	body := pp.subject
	if pp.action != "" {
		if body != "" {
			body += map[bool]string{true: "：", false: ": "}[pp.zh]
		}
		body += pp.action
	}
	if prof.CameraFirst && pp.camera != "" {
		head := upperFirst(pp.camera)
		if body != "" {
			head += map[bool]string{true: "。", false: ": "}[pp.zh]
		}
		add(head + body)
	} else {
		add(body)
	}
	add(pp.setting)
	if !prof.CameraFirst {
		add(pp.camera)
	}
	add(pp.dialogue)
	add(pp.style)
	if b.Len() == 0 {
		return ""
	}
	return b.String() + strings.TrimSpace(end)
}

// fit drops optional parts, then shortens the action, until the prompt fits the limit.
func (pp promptParts) fit(prof ProviderProfile) string {
	out := pp.assemble(prof)
	for _, drop := range []*string{&pp.style, &pp.dialogue, &pp.setting} {
		if utf8.RuneCountInString(out) <= prof.MaxRunes {
			return out
		}
		*drop = ""
		out = pp.assemble(prof)
	}
	for utf8.RuneCountInString(out) > prof.MaxRunes && pp.action != "" {
		over := utf8.RuneCountInString(out) - prof.MaxRunes
		rs := []rune(pp.action)
		pp.action = string(rs[:max(0, len(rs)-over-1)])
		out = pp.assemble(prof)
	}
	if rs := []rune(out); len(rs) > prof.MaxRunes {
		out = string(rs[:prof.MaxRunes])
	}
	return out
}

// upperFirst capitalises the first letter of an English phrase.
func upperFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if r >= 'a' && r <= 'z' {
		return string(r-'a'+'A') + s[size:]
	}
	return s
}
