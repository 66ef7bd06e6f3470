package pipeline

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Camera directions of the fixed storyboard vocabulary. Scripts may use any alias in
// cameraAliases; the storyboard always stores one of these, so prompts, filters and UI
// chips need to know only this list.
const (
	CamExtremeCloseUp = "extreme close-up"
	CamCloseUp        = "close-up"
	CamMediumCloseUp  = "medium close-up"
	CamMediumShot     = "medium shot"
	CamFullShot       = "full shot"
	CamWideShot       = "wide shot"
	CamExtremeWide    = "extreme wide shot"
	CamOverShoulder   = "over-the-shoulder"
	CamPOV            = "pov"
	CamTopShot        = "top shot"
	CamHighAngle      = "high angle"
	CamLowAngle       = "low angle"
	CamDutchAngle     = "dutch angle"
	CamDollyIn        = "dolly-in"
	CamDollyOut       = "dolly-out"
	CamPan            = "pan"
	CamTilt           = "tilt"
	CamTracking       = "tracking"
	CamOrbit          = "orbit"
	CamCrane          = "crane"
	CamZoomIn         = "zoom-in"
	CamZoomOut        = "zoom-out"
	CamAerial         = "aerial"
	CamHandheld       = "handheld"
	CamStatic         = "static"
	CamSlowMotion     = "slow motion"
	CamTimeLapse      = "time-lapse"
)

// cameraTerms lists the vocabulary in display order, with the Chinese phrase used when a
// prompt is written in Chinese. Shot sizes come first, then angles, moves and effects.
var cameraTerms = []struct{ en, zh string }{
	{CamExtremeCloseUp, "大特写"}, {CamCloseUp, "特写"}, {CamMediumCloseUp, "近景"},
	{CamMediumShot, "中景"}, {CamFullShot, "全景"}, {CamWideShot, "远景"},
	{CamExtremeWide, "大远景"}, {CamOverShoulder, "过肩镜头"}, {CamPOV, "主观镜头"},
	{CamTopShot, "俯拍"}, {CamHighAngle, "高机位"}, {CamLowAngle, "仰拍"},
	{CamDutchAngle, "斜角构图"}, {CamDollyIn, "推镜头"}, {CamDollyOut, "拉镜头"},
	{CamPan, "摇镜头"}, {CamTilt, "上下摇"}, {CamTracking, "跟拍"}, {CamOrbit, "环绕拍摄"},
	{CamCrane, "升降镜头"}, {CamZoomIn, "变焦推近"}, {CamZoomOut, "变焦拉远"},
	{CamAerial, "航拍"}, {CamHandheld, "手持"}, {CamStatic, "固定镜头"},
	{CamSlowMotion, "慢动作"}, {CamTimeLapse, "延时摄影"},
}

// CameraVocabulary returns the normalised camera directions a Shot.Camera may contain, in
// display order (shot sizes, angles, moves, effects). The slice is a fresh copy.
func CameraVocabulary() []string {
	out := make([]string, len(cameraTerms))
	for i, t := range cameraTerms {
		out[i] = t.en
	}
	return out
}

// cameraZH returns the Chinese phrase for a vocabulary term, or the term itself.
func cameraZH(term string) string {
	for _, t := range cameraTerms {
		if t.en == term {
			return t.zh
		}
	}
	return term
}

// cameraAlias maps one way of writing a direction to its vocabulary term. Weak aliases
// (推, pan, CU …) are ordinary words too, so they are only recognised as whole tokens in
// places that are certainly about the camera: shot markers and camera fields.
type cameraAlias struct {
	alias string
	term  string
	weak  bool
}

// cameraAliases is sorted longest first (see init below), so "大特写" wins over "特写" and
// "medium close-up" over "close-up".
var cameraAliases = sortAliases([]cameraAlias{
	{"大特写", CamExtremeCloseUp, false}, {"极特写", CamExtremeCloseUp, false},
	{"extreme close-up", CamExtremeCloseUp, false},
	{"extreme close up", CamExtremeCloseUp, false}, {"ECU", CamExtremeCloseUp, true},
	{"XCU", CamExtremeCloseUp, true},
	{"特写", CamCloseUp, false}, {"close-up", CamCloseUp, false},
	{"close up", CamCloseUp, false}, {"closeup", CamCloseUp, false},
	{"close on", CamCloseUp, false}, {"CU", CamCloseUp, true},
	{"近景", CamMediumCloseUp, false}, {"medium close-up", CamMediumCloseUp, false},
	{"medium close up", CamMediumCloseUp, false}, {"MCU", CamMediumCloseUp, true},
	{"中景", CamMediumShot, false}, {"medium shot", CamMediumShot, false},
	{"mid shot", CamMediumShot, false}, {"MS", CamMediumShot, true},
	{"全景", CamFullShot, false}, {"full shot", CamFullShot, false},
	{"FS", CamFullShot, true},
	{"远景", CamWideShot, false}, {"wide shot", CamWideShot, false},
	{"long shot", CamWideShot, false}, {"establishing shot", CamWideShot, false},
	{"WS", CamWideShot, true}, {"LS", CamWideShot, true}, {"wide", CamWideShot, true},
	{"大远景", CamExtremeWide, false}, {"extreme wide shot", CamExtremeWide, false},
	{"extreme long shot", CamExtremeWide, false},
	{"过肩镜头", CamOverShoulder, false}, {"过肩", CamOverShoulder, false},
	{"over-the-shoulder", CamOverShoulder, false},
	{"over the shoulder", CamOverShoulder, false}, {"OTS", CamOverShoulder, true},
	{"主观镜头", CamPOV, false}, {"主观视角", CamPOV, false}, {"第一人称视角", CamPOV, false},
	{"POV", CamPOV, false}, {"point of view", CamPOV, false},
	{"俯拍", CamTopShot, false}, {"顶拍", CamTopShot, false}, {"俯视", CamTopShot, false},
	{"top shot", CamTopShot, false}, {"overhead shot", CamTopShot, false},
	{"top-down", CamTopShot, false}, {"bird's-eye", CamTopShot, false},
	{"overhead", CamTopShot, true},
	{"高机位", CamHighAngle, false}, {"high angle", CamHighAngle, false},
	{"high-angle", CamHighAngle, false},
	{"仰拍", CamLowAngle, false}, {"仰视", CamLowAngle, false}, {"低机位", CamLowAngle, false},
	{"low angle", CamLowAngle, false}, {"low-angle", CamLowAngle, false},
	{"斜角", CamDutchAngle, false}, {"荷兰角", CamDutchAngle, false},
	{"dutch angle", CamDutchAngle, false}, {"canted angle", CamDutchAngle, false},
	{"推镜头", CamDollyIn, false}, {"推镜", CamDollyIn, false}, {"推近", CamDollyIn, false},
	{"推进", CamDollyIn, true}, {"推", CamDollyIn, true},
	{"dolly in", CamDollyIn, false}, {"dolly-in", CamDollyIn, false},
	{"push in", CamDollyIn, false}, {"push-in", CamDollyIn, false},
	{"拉镜头", CamDollyOut, false}, {"拉镜", CamDollyOut, false}, {"拉远", CamDollyOut, false},
	{"拉", CamDollyOut, true}, {"dolly out", CamDollyOut, false},
	{"dolly-out", CamDollyOut, false}, {"pull out", CamDollyOut, false},
	{"pull back", CamDollyOut, false}, {"pull-back", CamDollyOut, false},
	{"摇镜头", CamPan, false}, {"摇镜", CamPan, false}, {"横摇", CamPan, false},
	{"摇", CamPan, true}, {"whip pan", CamPan, false}, {"pan", CamPan, true},
	{"pans", CamPan, true}, {"panning", CamPan, true},
	{"上摇", CamTilt, false}, {"下摇", CamTilt, false}, {"tilt up", CamTilt, false},
	{"tilt down", CamTilt, false}, {"tilt", CamTilt, true},
	{"跟拍", CamTracking, false}, {"跟镜头", CamTracking, false}, {"移镜头", CamTracking, false},
	{"移镜", CamTracking, false}, {"跟", CamTracking, true}, {"移", CamTracking, true},
	{"tracking shot", CamTracking, false}, {"tracking", CamTracking, true},
	{"follow shot", CamTracking, false}, {"dolly shot", CamTracking, false},
	{"环绕镜头", CamOrbit, false}, {"环绕", CamOrbit, false}, {"环拍", CamOrbit, false},
	{"orbit shot", CamOrbit, false}, {"orbit", CamOrbit, true}, {"arc shot", CamOrbit, false},
	{"升降镜头", CamCrane, false}, {"摇臂", CamCrane, false}, {"crane shot", CamCrane, false},
	{"crane up", CamCrane, false}, {"crane down", CamCrane, false},
	{"升", CamCrane, true}, {"降", CamCrane, true},
	{"变焦推近", CamZoomIn, false}, {"zoom in", CamZoomIn, false},
	{"zoom-in", CamZoomIn, false}, {"变焦拉远", CamZoomOut, false},
	{"zoom out", CamZoomOut, false}, {"zoom-out", CamZoomOut, false},
	{"航拍", CamAerial, false}, {"无人机", CamAerial, false}, {"aerial", CamAerial, false},
	{"drone shot", CamAerial, false}, {"drone", CamAerial, true},
	{"手持", CamHandheld, false}, {"handheld", CamHandheld, false},
	{"hand-held", CamHandheld, false},
	{"固定镜头", CamStatic, false}, {"固定机位", CamStatic, false}, {"定镜", CamStatic, false},
	{"static shot", CamStatic, false}, {"locked-off", CamStatic, false},
	{"static", CamStatic, true},
	{"慢动作", CamSlowMotion, false}, {"慢镜头", CamSlowMotion, false},
	{"升格", CamSlowMotion, false}, {"slow motion", CamSlowMotion, false},
	{"slow-motion", CamSlowMotion, false}, {"slow-mo", CamSlowMotion, false},
	{"slo-mo", CamSlowMotion, false},
	{"延时摄影", CamTimeLapse, false}, {"延时", CamTimeLapse, false},
	{"time-lapse", CamTimeLapse, false}, {"timelapse", CamTimeLapse, false},
})

// sortAliases orders aliases longest first (in runes), then alphabetically, so scanning
// tries the most specific spelling first and the order never depends on map iteration.
func sortAliases(as []cameraAlias) []cameraAlias {
	slices.SortStableFunc(as, func(a, b cameraAlias) int {
		if d := utf8.RuneCountInString(b.alias) - utf8.RuneCountInString(a.alias); d != 0 {
			return d
		}
		return strings.Compare(a.alias, b.alias)
	})
	return as
}

// matchAliasAt reports the alias matching s at byte offset i, honouring word boundaries
// for Latin aliases (case-insensitive) and plain substring matching for Chinese ones.
// Weak aliases are tried only when allowWeak is set, and then must be a whole token.
func matchAliasAt(s string, i int, allowWeak bool) (cameraAlias, int, bool) {
	for _, a := range cameraAliases {
		if a.weak && !allowWeak {
			continue
		}
		end := i + len(a.alias)
		if end > len(s) {
			continue
		}
		seg := s[i:end]
		if isCJKString(a.alias) {
			if seg != a.alias {
				continue
			}
			if a.weak && !tokenBoundary(s, i, end) {
				continue
			}
			return a, end, true
		}
		if !strings.EqualFold(seg, a.alias) || !wordBoundary(s, i, end) {
			continue
		}
		// Two-letter abbreviations (CU, MS, WS) are only camera talk in capitals.
		if a.weak && len(a.alias) <= 3 && seg != a.alias {
			continue
		}
		return a, end, true
	}
	return cameraAlias{}, i, false
}

// scanCamera returns the vocabulary terms of all aliases found anywhere in s, in order of
// appearance and without duplicates. Weak aliases count only when allowWeak is set.
func scanCamera(s string, allowWeak bool) []string {
	var out []string
	for i := 0; i < len(s); {
		if a, end, ok := matchAliasAt(s, i, allowWeak); ok {
			out = appendUnique(out, a.term)
			i = end
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return out
}

// timeWords maps time-of-day words in headings to the value stored in Scene.Time.
// Chinese is kept as written because 日/夜 is how Chinese crews label scenes.
var timeWords = map[string]string{
	"日": "日", "夜": "夜", "晨": "晨", "晚": "晚", "白天": "白天", "夜晚": "夜晚",
	"清晨": "清晨", "早晨": "早晨", "早上": "早上", "上午": "上午", "中午": "中午",
	"下午": "下午", "傍晚": "傍晚", "黄昏": "黄昏", "深夜": "深夜", "凌晨": "凌晨",
	"午夜": "午夜", "日景": "日", "夜景": "夜", "日间": "日", "夜间": "夜",
	"day": "day", "night": "night", "morning": "morning", "evening": "evening",
	"dusk": "dusk", "dawn": "dawn", "afternoon": "afternoon", "sunset": "sunset",
	"sunrise": "sunrise", "noon": "noon", "midnight": "midnight", "daytime": "day",
	"nighttime": "night", "magic hour": "magic hour", "golden hour": "golden hour",
}

// headingNoise are heading tokens that are neither place nor time: interior/exterior
// marks and screenplay continuity notes.
var headingNoise = map[string]bool{
	"内": true, "外": true, "内景": true, "外景": true, "室内": true, "室外": true,
	"内/外": true, "int": true, "ext": true, "continuous": true, "later": true,
	"moments later": true, "same": true, "same time": true,
}

// narrators are speakers who are heard, not seen; they never join Shot.Characters.
var narrators = map[string]bool{
	"旁白": true, "画外音": true, "独白": true, "内心独白": true, "画外": true, "解说": true,
	"vo": true, "v.o.": true, "voiceover": true, "voice-over": true, "voice over": true,
	"narrator": true, "announcer": true, "os": true, "o.s.": true,
}

// isNarrator reports whether a speaker name is a voice rather than a person on screen.
func isNarrator(name string) bool {
	return narrators[strings.ToLower(strings.TrimSpace(name))]
}

// appendUnique appends s to list unless it is already there.
func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
