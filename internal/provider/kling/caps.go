package kling

import (
	"github.com/reelforge/reelforge/internal/provider"
)

// Kling's mode values: std renders 720p, pro renders 1080p on the models
// that offer both (kling-v1 renders 720p in either mode).
const (
	modeStd = "std"
	modePro = "pro"
)

// maxPromptChars is Kling's limit on prompt and negative_prompt.
const maxPromptChars = 2500

// Concurrency and rate defaults. Kling counts running tasks per account and
// resource pack and refuses the excess with code 1303; the pack limits are
// not published, so these are cautious guesses that operators can raise.
const (
	defaultConcurrency   = 5
	defaultRatePerMinute = 60
)

// modelSpec is one Kling model as the adapter knows it.
type modelSpec struct {
	id, name string
	kinds    []provider.Kind
	// modes maps a resolution tier to the mode sent for it; nil means the
	// model takes no mode field (the "master" models).
	modes map[string]string
	// res lists the accepted tiers, default first.
	res []string
	// audio reports the sound field (kling-v2-6, pro mode only).
	audio bool
	// cents is the list price per second by tier, from the unit table at
	// $0.14 a unit, rounded up to whole cents.
	cents map[string]int64
}

var (
	bothKinds = []provider.Kind{provider.KindTextToVideo, provider.KindImageToVideo}
	i2vOnly   = []provider.Kind{provider.KindImageToVideo}
	stdPro    = map[string]string{provider.Resolution720p: modeStd,
		provider.Resolution1080p: modePro}
	tiers = []string{provider.Resolution720p, provider.Resolution1080p}
)

// models lists the supported models; the first is the default. Prices per
// clip: v1 std 1 unit per 5 s; v1.5/v1.6/v2.1 std 2, pro 3.5; v2.5 turbo
// and v2.6 std 1.5, pro 2.5; the master models 10.
var models = []modelSpec{
	{id: "kling-v1-6", name: "Kling 1.6", kinds: bothKinds, modes: stdPro, res: tiers,
		cents: map[string]int64{provider.Resolution720p: 6, provider.Resolution1080p: 10}},
	{id: "kling-v1", name: "Kling 1.0", kinds: bothKinds,
		modes: map[string]string{provider.Resolution720p: modeStd},
		res:   []string{provider.Resolution720p},
		cents: map[string]int64{provider.Resolution720p: 3}},
	{id: "kling-v1-5", name: "Kling 1.5", kinds: i2vOnly, modes: stdPro, res: tiers,
		cents: map[string]int64{provider.Resolution720p: 6, provider.Resolution1080p: 10}},
	{id: "kling-v2-master", name: "Kling 2.0 Master", kinds: bothKinds,
		res:   []string{provider.Resolution720p},
		cents: map[string]int64{provider.Resolution720p: 28}},
	{id: "kling-v2-1", name: "Kling 2.1", kinds: i2vOnly, modes: stdPro, res: tiers,
		cents: map[string]int64{provider.Resolution720p: 6, provider.Resolution1080p: 10}},
	{id: "kling-v2-1-master", name: "Kling 2.1 Master", kinds: bothKinds,
		res:   []string{provider.Resolution1080p},
		cents: map[string]int64{provider.Resolution1080p: 28}},
	{id: "kling-v2-5-turbo", name: "Kling 2.5 Turbo", kinds: bothKinds, modes: stdPro,
		res:   []string{provider.Resolution1080p, provider.Resolution720p},
		cents: map[string]int64{provider.Resolution720p: 5, provider.Resolution1080p: 7}},
	{id: "kling-v2-6", name: "Kling 2.6", kinds: bothKinds, modes: stdPro,
		res: []string{provider.Resolution1080p, provider.Resolution720p}, audio: true,
		cents: map[string]int64{provider.Resolution720p: 5, provider.Resolution1080p: 7}},
}

// specOf returns the spec of a model id.
func specOf(id string) (modelSpec, bool) {
	for _, m := range models {
		if m.id == id {
			return m, true
		}
	}
	return modelSpec{}, false
}

// capabilities builds the advertised table from models.
func capabilities() provider.Capabilities {
	c := provider.Capabilities{
		Provider:             Name,
		Kinds:                bothKinds,
		DefaultConcurrency:   defaultConcurrency,
		DefaultRatePerMinute: defaultRatePerMinute,
	}
	for _, s := range models {
		price := provider.PriceModel{PerSecondCents: s.cents}
		c.Models = append(c.Models, provider.Model{
			ID: s.id, Name: s.name, Kinds: s.kinds,
			Durations:   []int{5, 10},
			Resolutions: s.res,
			// image2video has no aspect_ratio: the clip follows the image.
			AspectRatios:   []string{provider.Aspect16x9, provider.Aspect9x16, provider.Aspect1x1},
			Audio:          s.audio,
			MaxPromptChars: maxPromptChars,
			Price:          &price,
		})
	}
	return c
}
