package pipeline

import (
	"errors"
)

// Languages a storyboard can be in. They match the prompt library's language tags so a
// storyboard and the templates used with it can be compared directly.
const (
	// LangZhCN marks a Simplified Chinese script.
	LangZhCN = "zh-CN"
	// LangEn marks an English script.
	LangEn = "en"
)

// Limits on parsing and shot timing.
const (
	// MaxScriptBytes caps the size of a script Parse accepts. A feature-length screenplay
	// is about 200 KiB, so 1 MiB leaves room while bounding memory and CPU per request.
	MaxScriptBytes = 1 << 20
	// MinShotSeconds is the shortest shot duration: current video models cannot render a
	// meaningful clip shorter than this, so explicit shorter durations are raised to it.
	MinShotSeconds = 2.0
	// MaxShotSeconds is the longest shot duration: most providers generate at most 10 s
	// per request, so longer explicit durations are lowered to it with a warning.
	MaxShotSeconds = 10.0
	// DefaultShotSeconds is used for a shot with neither dialogue nor action text.
	DefaultShotSeconds = 3.0
)

// Sentinel errors returned (wrapped) by Parse. They are the only two ways parsing fails.
var (
	// ErrEmptyScript means the script has no visible characters at all.
	ErrEmptyScript = errors.New("pipeline: script is empty")
	// ErrScriptTooLarge means the script is longer than MaxScriptBytes.
	ErrScriptTooLarge = errors.New("pipeline: script is too large")
)

// ParseOptions tunes Parse. The zero value is the normal choice: language detection and a
// title taken from the script.
type ParseOptions struct {
	// Language forces LangZhCN or LangEn. Empty means detect from the text (the language
	// with more content wins; a word of English counts as much as two Chinese
	// characters). Any other value is ignored with a warning.
	Language string
	// Title overrides the title found in the script, for example the project's name.
	Title string
}

// Storyboard is a parsed script: scenes made of shots, ready for prompt synthesis and
// generation. It is stored as a JSON document and edited with JSON Patch, so every slice
// is kept non-nil to give patches a stable "/scenes/0/shots/-" path.
type Storyboard struct {
	// Title is the script's title, or empty when none was found.
	Title string `json:"title"`
	// Language is LangZhCN or LangEn; it picks the prompt and subtitle conventions.
	Language string `json:"language"`
	// Characters is the cast in order of first appearance, with the first description the
	// script gives each one. Synthesize uses it as the character bible.
	Characters []Character `json:"characters"`
	// Scenes in script order. A script without scene headings has one scene whose
	// Heading is empty.
	Scenes []Scene `json:"scenes"`
	// Warnings lists lines the parser found odd, in line order. They are advice for the
	// author, not errors: the storyboard is complete without acting on them.
	Warnings []Warning `json:"warnings"`
}

// Character is one member of the cast.
type Character struct {
	// Name is the name as first written in the script (e.g. "林晓", "ANNA").
	Name string `json:"name"`
	// Description is the appearance given at first mention, e.g. "白衬衫，短发" or
	// "30s, red coat", or empty. It is repeated in every prompt featuring the character
	// so that video models keep wardrobe and looks consistent between shots.
	Description string `json:"description"`
}

// Scene is a continuous piece of action in one place and time.
type Scene struct {
	// Number is the 1-based position of the scene in the storyboard. It is renumbered
	// sequentially even when the script skips numbers, so it always matches the order.
	Number int `json:"number"`
	// Heading is the heading as written, without markers such as "场景一：" or "##".
	Heading string `json:"heading"`
	// Place is the location taken from the heading, e.g. "咖啡馆" or "KITCHEN".
	Place string `json:"place"`
	// Time is the time of day from the heading: Chinese as written (日, 夜, 黄昏 …),
	// English lower-cased (day, night, dusk …). Empty when not given.
	Time string `json:"time"`
	// Shots in order. May be empty when the script has a heading with no content.
	Shots []Shot `json:"shots"`
}

// Shot is one generated clip.
type Shot struct {
	// Number is the 1-based position of the shot within its scene.
	Number int `json:"number"`
	// Characters lists who is on screen, in order of first mention; narrators and
	// voice-overs are not included because they are not seen.
	Characters []string `json:"characters"`
	// Place is where the shot happens; it defaults to the scene's place.
	Place string `json:"place"`
	// Action is what is seen, as written, with camera directions and durations removed.
	Action string `json:"action"`
	// Dialogue is what is said during the shot, in order.
	Dialogue []Line `json:"dialogue"`
	// Camera holds normalised camera directions from CameraVocabulary, e.g. "close-up",
	// "dolly-in", in the order written and without duplicates.
	Camera []string `json:"camera"`
	// DurationSeconds is the explicit duration when the script gives one, otherwise an
	// estimate from dialogue (about 4 Chinese characters or 2.5 English words per second)
	// and action; it is always within MinShotSeconds..MaxShotSeconds.
	DurationSeconds float64 `json:"duration_seconds"`
	// ExplicitDuration records that DurationSeconds came from the script, so editors and
	// re-estimation leave it alone.
	ExplicitDuration bool `json:"explicit_duration"`
	// Prompt is the generation prompt; empty until Synthesize fills it or a user writes one.
	Prompt string `json:"prompt"`
	// NegativePrompt lists what the model should avoid, for providers that accept one.
	NegativePrompt string `json:"negative_prompt"`
	// Locked marks a shot whose prompt a person has edited; Synthesize leaves it as is.
	Locked bool `json:"locked"`
	// Provider optionally pins the shot to one video provider (e.g. "kling"); empty means
	// the project's default. Synthesize phrases the prompt for this provider.
	Provider string `json:"provider"`
}

// Line is one line of dialogue or voice-over.
type Line struct {
	// Character is the speaker as written, e.g. "林晓", "ANNA" or "旁白".
	Character string `json:"character"`
	// Text is what is said.
	Text string `json:"text"`
	// Parenthetical is the delivery note without brackets, e.g. "低声" or "whispering".
	Parenthetical string `json:"parenthetical"`
}

// Warning is something odd the parser met. Line is 1-based in the original script, so an
// editor can jump to it; 0 means the warning is about the script as a whole.
type Warning struct {
	// Line is the 1-based line number, or 0 for the whole script.
	Line int `json:"line"`
	// Message explains the problem in lower-case English.
	Message string `json:"message"`
}

// Normalize makes an edited storyboard well-formed again: empty lists
// instead of missing ones, and scenes and shots numbered in order.
func (sb *Storyboard) Normalize() {
	sb.normalize()
	for i := range sb.Scenes {
		sb.Scenes[i].Number = i + 1
		for j := range sb.Scenes[i].Shots {
			sb.Scenes[i].Shots[j].Number = j + 1
		}
	}
}

// normalize replaces nil slices with empty ones throughout, so the JSON form always has
// arrays and a decoded copy compares equal to the original.
func (sb *Storyboard) normalize() {
	if sb.Characters == nil {
		sb.Characters = []Character{}
	}
	if sb.Scenes == nil {
		sb.Scenes = []Scene{}
	}
	if sb.Warnings == nil {
		sb.Warnings = []Warning{}
	}
	for i := range sb.Scenes {
		sc := &sb.Scenes[i]
		if sc.Shots == nil {
			sc.Shots = []Shot{}
		}
		for j := range sc.Shots {
			sh := &sc.Shots[j]
			if sh.Characters == nil {
				sh.Characters = []string{}
			}
			if sh.Dialogue == nil {
				sh.Dialogue = []Line{}
			}
			if sh.Camera == nil {
				sh.Camera = []string{}
			}
		}
	}
}
