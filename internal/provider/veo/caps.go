package veo

import "github.com/reelforge/reelforge/internal/provider"

// Model ids the adapter advertises; the first is the default.
const (
	// ModelVeo3 is Veo 3 (GA), the default model.
	ModelVeo3 = "veo-3.0-generate-001"
	// ModelVeo3Fast is the cheaper, faster Veo 3 variant (GA).
	ModelVeo3Fast = "veo-3.0-fast-generate-001"
	// ModelVeo31 is the Veo 3.1 preview.
	ModelVeo31 = "veo-3.1-generate-preview"
	// ModelVeo31Fast is the fast Veo 3.1 preview.
	ModelVeo31Fast = "veo-3.1-fast-generate-preview"
)

// Prices in US cents per second of video. Google charges less when no sound
// track is generated (20 and 10 cents), but a PriceModel cannot see the audio
// flag and the Gemini API always makes sound, so the estimate uses the
// with-audio price: budgets are checked against an upper bound.
const (
	standardCentsPerSecond = 40
	fastCentsPerSecond     = 15
)

// maxPromptChars approximates Google's 1024-token prompt limit at about four
// characters a token.
const maxPromptChars = 4000

// Defaults for the engine's limiter. Google's Veo quotas are per project and
// model (reported at about 10 requests a minute for previews and 50 for GA
// models); the lower figure is the safe default.
const (
	defaultConcurrency   = 4
	defaultRatePerMinute = 10
)

func capabilities() provider.Capabilities {
	price := func(cents int64) *provider.PriceModel {
		return &provider.PriceModel{PerSecondCents: map[string]int64{provider.Wildcard: cents}}
	}
	model := func(id, name string, cents int64) provider.Model {
		return provider.Model{
			ID: id, Name: name,
			Kinds:           []provider.Kind{provider.KindTextToVideo, provider.KindImageToVideo},
			Durations:       []int{4, 6, 8},
			DefaultDuration: 8,
			Resolutions:     []string{provider.Resolution720p, provider.Resolution1080p},
			AspectRatios:    []string{provider.Aspect16x9, provider.Aspect9x16},
			Audio:           true,
			MaxPromptChars:  maxPromptChars,
			Price:           price(cents),
		}
	}
	return provider.Capabilities{
		Provider: Name,
		Kinds:    []provider.Kind{provider.KindTextToVideo, provider.KindImageToVideo},
		Models: []provider.Model{
			model(ModelVeo3, "Veo 3", standardCentsPerSecond),
			model(ModelVeo3Fast, "Veo 3 Fast", fastCentsPerSecond),
			model(ModelVeo31, "Veo 3.1 (preview)", standardCentsPerSecond),
			model(ModelVeo31Fast, "Veo 3.1 Fast (preview)", fastCentsPerSecond),
		},
		Price:                *price(standardCentsPerSecond),
		DefaultConcurrency:   defaultConcurrency,
		DefaultRatePerMinute: defaultRatePerMinute,
	}
}
