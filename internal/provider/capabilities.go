package provider

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Capabilities describes what a provider accepts and what it costs. The API
// validates every submission against it (Validate) and the engine sizes its
// worker pool and rate limiter from the defaults.
type Capabilities struct {
	// Provider is the provider's Name, used in validation messages.
	Provider string `json:"provider"`
	// Kinds lists the request kinds any model supports.
	Kinds []Kind `json:"kinds"`
	// Models lists the models; the first is the default for an empty
	// Request.Model.
	Models []Model `json:"models"`
	// Price is the default price of every model without its own Price.
	Price PriceModel `json:"price"`
	// DefaultConcurrency is how many jobs may run at once per credential
	// before the vendor starts queuing or refusing (Runway tier 1: 1–2).
	DefaultConcurrency int `json:"default_concurrency"`
	// DefaultRatePerMinute is how many Create calls per minute the vendor
	// tolerates; 0 means no limit is known.
	DefaultRatePerMinute int `json:"default_rate_per_minute"`
}

// Model is one model of a provider. Empty lists mean "anything the platform
// knows"; zero numbers mean "no limit".
type Model struct {
	// ID is the vendor's model id ("gen4_turbo"); Name a display name.
	ID   string `json:"id"`
	Name string `json:"name"`
	// Kinds lists the request kinds the model accepts.
	Kinds []Kind `json:"kinds"`
	// Durations lists the allowed clip lengths in seconds (Runway: 5, 10).
	// When empty, MinDuration..MaxDuration applies instead.
	Durations []int `json:"durations"`
	// MinDuration and MaxDuration bound the length when Durations is empty.
	MinDuration int `json:"min_duration,omitempty"`
	MaxDuration int `json:"max_duration,omitempty"`
	// DefaultDuration is used for a Request without a duration; 0 means the
	// first of Durations, else MinDuration, else 5 seconds.
	DefaultDuration int `json:"default_duration"`
	// Resolutions lists the accepted tiers, the first being the default.
	Resolutions []string `json:"resolutions"`
	// AspectRatios lists the accepted ratios, the first being the default.
	AspectRatios []string `json:"aspect_ratios"`
	// Audio reports that the model can generate a sound track.
	Audio bool `json:"audio"`
	// MaxPromptChars bounds the prompt in characters (runes); 0 is no bound.
	MaxPromptChars int `json:"max_prompt_chars"`
	// Price overrides Capabilities.Price for this model when non-nil.
	Price *PriceModel `json:"price,omitempty"`
}

// fallbackDuration is the clip length used when a model names no default.
const fallbackDuration = 5

// defaultDuration resolves the documented default chain.
func (m Model) defaultDuration() int {
	switch {
	case m.DefaultDuration > 0:
		return m.DefaultDuration
	case len(m.Durations) > 0:
		return m.Durations[0]
	case m.MinDuration > 0:
		return m.MinDuration
	}
	return fallbackDuration
}

// Model returns the model with the given id; "" selects the default model.
func (c Capabilities) Model(id string) (Model, bool) {
	if id == "" {
		if len(c.Models) == 0 {
			return Model{}, false
		}
		return c.Models[0], true
	}
	for _, m := range c.Models {
		if m.ID == id {
			return m, true
		}
	}
	return Model{}, false
}

// WithDefaults returns req with the model, duration (video kinds only),
// resolution and aspect ratio filled in from the model's defaults, so that
// what is stored, priced and sent is explicit. Unknown models are left as
// they are for Validate to report.
func (c Capabilities) WithDefaults(req Request) Request {
	m, ok := c.Model(req.Model)
	if !ok {
		return req
	}
	req.Model = m.ID
	if req.Kind.IsVideo() && req.DurationSeconds == 0 {
		req.DurationSeconds = m.defaultDuration()
	}
	if req.Resolution == "" {
		req.Resolution = firstOr(m.Resolutions, Resolution720p)
	}
	if req.AspectRatio == "" {
		req.AspectRatio = firstOr(m.AspectRatios, Aspect16x9)
	}
	return req
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

// Validate checks req (after WithDefaults) against the capabilities and
// returns a *ValidationError naming the first problem, or nil.
func (c Capabilities) Validate(req Request) error {
	req = c.WithDefaults(req)
	prefix := "provider " + c.Provider
	m, ok := c.Model(req.Model)
	if !ok {
		return &ValidationError{Field: "model", Message: fmt.Sprintf(
			"%s has no model %q; available %s", prefix, req.Model, modelIDs(c.Models))}
	}
	prefix += " model " + m.ID
	invalid := func(field, format string, args ...any) error {
		return &ValidationError{Field: field, Message: prefix + " " + fmt.Sprintf(format, args...)}
	}
	switch req.Kind {
	case KindTextToVideo, KindImageToVideo, KindTextToImage:
	default:
		return invalid("kind", "does not know kind %q; use text_to_video, image_to_video "+
			"or text_to_image", req.Kind)
	}
	if !slices.Contains(m.Kinds, req.Kind) {
		return invalid("kind", "does not support %s; allowed %s", req.Kind,
			joinStrings(m.Kinds))
	}
	if strings.TrimSpace(req.Prompt) == "" && req.Kind != KindImageToVideo {
		return invalid("prompt", "needs a prompt")
	}
	if n := utf8.RuneCountInString(req.Prompt); m.MaxPromptChars > 0 && n > m.MaxPromptChars {
		return invalid("prompt", "accepts prompts of at most %d characters; got %d",
			m.MaxPromptChars, n)
	}
	switch {
	case req.Kind == KindImageToVideo && req.ImageURL == "":
		return invalid("image_url", "needs image_url for image_to_video")
	case req.Kind != KindImageToVideo && req.ImageURL != "":
		return invalid("image_url", "takes image_url only for image_to_video, not %s",
			req.Kind)
	}
	if req.Kind.IsVideo() {
		if err := checkDuration(m, req.DurationSeconds, invalid); err != nil {
			return err
		}
	}
	if !allowed(m.Resolutions, Resolutions, req.Resolution) {
		return invalid("resolution", "does not support resolution %q; allowed %s",
			req.Resolution, strings.Join(orAll(m.Resolutions, Resolutions), ", "))
	}
	if !allowed(m.AspectRatios, AspectRatios, req.AspectRatio) {
		return invalid("aspect_ratio", "does not support aspect ratio %q; allowed %s",
			req.AspectRatio, strings.Join(orAll(m.AspectRatios, AspectRatios), ", "))
	}
	if req.Audio && !m.Audio {
		return invalid("audio", "cannot generate audio")
	}
	return nil
}

func checkDuration(m Model, d int, invalid func(string, string, ...any) error) error {
	const field = "duration_seconds"
	if len(m.Durations) > 0 {
		if !slices.Contains(m.Durations, d) {
			return invalid(field, "does not support duration %d; allowed %s", d,
				joinInts(m.Durations))
		}
		return nil
	}
	lo, hi := max(m.MinDuration, 1), m.MaxDuration
	if d < lo || (hi > 0 && d > hi) {
		if hi > 0 {
			return invalid(field, "does not support duration %d; allowed %d to %d", d, lo, hi)
		}
		return invalid(field, "does not support duration %d; allowed %d or more", d, lo)
	}
	return nil
}

// allowed reports whether v is in list, or in all when list is empty.
func allowed(list, all []string, v string) bool {
	return slices.Contains(orAll(list, all), v)
}

func orAll(list, all []string) []string {
	if len(list) == 0 {
		return all
	}
	return list
}

func modelIDs(ms []Model) string {
	if len(ms) == 0 {
		return "none"
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return strings.Join(ids, ", ")
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

func joinStrings[T ~string](xs []T) string {
	if len(xs) == 0 {
		return "none"
	}
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
