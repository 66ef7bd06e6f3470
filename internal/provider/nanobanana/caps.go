package nanobanana

import "github.com/reelforge/reelforge/internal/provider"

// ModelFlashImage is Gemini 2.5 Flash Image, the only model advertised.
const ModelFlashImage = "gemini-2.5-flash-image"

// centsPerImage is Google's list price of about 3.9 cents an image (1290
// output tokens at $30 per million) rounded to whole cents, because prices
// are kept in integer cents; the estimate is a tenth of a cent high.
const centsPerImage = 4

// maxPromptChars is Reelforge's own bound: the model takes about 32,000
// input tokens, far more than any storyboard prompt needs.
const maxPromptChars = 30000

// Limiter defaults. Google publishes per-tier quotas per project; these are
// conservative values for a paid tier-1 key.
const (
	defaultConcurrency   = 4
	defaultRatePerMinute = 60
)

func capabilities() provider.Capabilities {
	price := provider.PriceModel{PerImageCents: map[string]int64{provider.Wildcard: centsPerImage}}
	return provider.Capabilities{
		Provider: Name,
		Kinds:    []provider.Kind{provider.KindTextToImage},
		Models: []provider.Model{{
			ID: ModelFlashImage, Name: "Nano Banana (Gemini 2.5 Flash Image)",
			Kinds: []provider.Kind{provider.KindTextToImage},
			// About one megapixel whatever the ratio (1344x768 in 16:9), so
			// the only honest tier is 720p.
			Resolutions: []string{provider.Resolution720p},
			AspectRatios: []string{provider.Aspect16x9, provider.Aspect9x16, provider.Aspect1x1,
				provider.Aspect21x9},
			MaxPromptChars: maxPromptChars,
		}},
		Price:                price,
		DefaultConcurrency:   defaultConcurrency,
		DefaultRatePerMinute: defaultRatePerMinute,
	}
}
