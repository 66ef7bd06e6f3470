package wan

import (
	"github.com/reelforge/reelforge/internal/provider"
)

// Model ids of Wan 2.5 on DashScope.
const (
	modelT2V = "wan2.5-t2v-preview"
	modelI2V = "wan2.5-i2v-preview"
)

// Limits of the wan2.5 input: longer prompts are cut by the vendor, so the
// adapter refuses them instead; negative prompts over 500 are refused.
const (
	maxPromptChars   = 2000
	maxNegativeChars = 500
	maxSeed          = 2147483647
)

// Concurrency and rate defaults. DashScope sets "task submission RPS" and
// "concurrent tasks" per model and account; the wan2.5 values are not
// published (a sibling video model allows 5 RPS and 1 task), so these are
// cautious guesses that operators can raise.
const (
	defaultConcurrency   = 2
	defaultRatePerMinute = 60
)

// sizes maps our tier and aspect ratio to the text-to-video size value
// ("W*H" in pixels); DashScope refuses tier names and ratios there.
var sizes = map[string]map[string]string{
	provider.Resolution720p: {
		provider.Aspect16x9: "1280*720", provider.Aspect9x16: "720*1280",
		provider.Aspect1x1: "960*960",
	},
	provider.Resolution1080p: {
		provider.Aspect16x9: "1920*1080", provider.Aspect9x16: "1080*1920",
		provider.Aspect1x1: "1440*1440",
	},
}

// resolutions maps our tier to the image-to-video resolution value; that
// model keeps the input image's aspect ratio.
var resolutions = map[string]string{
	provider.Resolution720p:  "720P",
	provider.Resolution1080p: "1080P",
}

// price is the list price per second of output: $0.10 at 720P and $0.15
// at 1080P for wan2.5 preview in the international region.
var price = provider.PriceModel{PerSecondCents: map[string]int64{
	provider.Resolution720p: 10, provider.Resolution1080p: 15,
}}

// capabilities is the advertised table. 1080p comes first because it is
// the vendor's default.
func capabilities() provider.Capabilities {
	tiers := []string{provider.Resolution1080p, provider.Resolution720p}
	return provider.Capabilities{
		Provider: Name,
		Kinds:    []provider.Kind{provider.KindTextToVideo, provider.KindImageToVideo},
		Models: []provider.Model{
			{ID: modelT2V, Name: "Wan 2.5 text-to-video (preview)",
				Kinds:     []provider.Kind{provider.KindTextToVideo},
				Durations: []int{5, 10}, Resolutions: tiers,
				AspectRatios: []string{provider.Aspect16x9, provider.Aspect9x16,
					provider.Aspect1x1},
				Audio: true, MaxPromptChars: maxPromptChars},
			// The image decides the aspect ratio, so any requested one is
			// accepted and ignored.
			{ID: modelI2V, Name: "Wan 2.5 image-to-video (preview)",
				Kinds:     []provider.Kind{provider.KindImageToVideo},
				Durations: []int{5, 10}, Resolutions: tiers,
				Audio: true, MaxPromptChars: maxPromptChars},
		},
		Price:                price,
		DefaultConcurrency:   defaultConcurrency,
		DefaultRatePerMinute: defaultRatePerMinute,
	}
}
