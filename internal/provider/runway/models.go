package runway

import (
	"fmt"
	"unicode/utf16"

	"github.com/reelforge/reelforge/internal/provider"
)

// maxPromptUnits is Runway's promptText limit, counted in UTF-16 code
// units; Capabilities counts runes, so Create checks again.
const maxPromptUnits = 1000

// model is one Runway model: its capabilities and the wire details that
// Capabilities cannot express.
type model struct {
	caps provider.Model
	// ratios maps kind, tier and aspect ratio to Runway's "W:H" pixel ratio;
	// a missing key is a combination the model refuses.
	ratios map[provider.Kind]map[string]string
	// audio: the model takes the audio flag (veo3.1); negative: it takes
	// negativePrompt (the veo family).
	audio, negative bool
}

// ratioKey indexes model.ratios.
func ratioKey(res, aspect string) string { return res + "/" + aspect }

// Pixel ratios of the gen4 family (image-to-video) and of the veo family.
var (
	gen4Ratios = map[string]string{
		ratioKey("720p", "16:9"): "1280:720", ratioKey("720p", "9:16"): "720:1280",
		ratioKey("720p", "1:1"): "960:960", ratioKey("720p", "21:9"): "1584:672",
	}
	gen45TextRatios = map[string]string{
		ratioKey("720p", "16:9"): "1280:720", ratioKey("720p", "9:16"): "720:1280",
	}
	veoRatios = map[string]string{
		ratioKey("720p", "16:9"): "1280:720", ratioKey("720p", "9:16"): "720:1280",
		ratioKey("1080p", "16:9"): "1920:1080", ratioKey("1080p", "9:16"): "1080:1920",
	}
	imageRatios = map[string]string{
		ratioKey("720p", "16:9"): "1280:720", ratioKey("720p", "9:16"): "720:1280",
		ratioKey("720p", "1:1"): "1024:1024", ratioKey("720p", "21:9"): "1680:720",
		ratioKey("1080p", "16:9"): "1920:1080", ratioKey("1080p", "9:16"): "1080:1920",
		ratioKey("1080p", "1:1"): "1080:1080", ratioKey("1080p", "21:9"): "2112:912",
	}
)

var (
	t2v    = provider.KindTextToVideo
	i2v    = provider.KindImageToVideo
	t2i    = provider.KindTextToImage
	allAsp = []string{provider.Aspect16x9, provider.Aspect9x16, provider.Aspect1x1,
		provider.Aspect21x9}
	wideAsp = []string{provider.Aspect16x9, provider.Aspect9x16}
	hd      = []string{provider.Resolution720p, provider.Resolution1080p}
	sd      = []string{provider.Resolution720p}
)

// cents per second of video: Runway credits cost one cent each.
func perSecond(c int64) *provider.PriceModel {
	return &provider.PriceModel{PerSecondCents: map[string]int64{provider.Wildcard: c}}
}

// models lists the supported models; the first is the default.
var models = []model{
	{caps: provider.Model{ID: "gen4_turbo", Name: "Gen-4 Turbo", Kinds: []provider.Kind{i2v},
		MinDuration: 2, MaxDuration: 10, DefaultDuration: 5, Resolutions: sd,
		AspectRatios: allAsp, MaxPromptChars: maxPromptUnits, Price: perSecond(5)},
		ratios: map[provider.Kind]map[string]string{i2v: gen4Ratios}},
	{caps: provider.Model{ID: "gen4.5", Name: "Gen-4.5", Kinds: []provider.Kind{t2v, i2v},
		MinDuration: 2, MaxDuration: 10, DefaultDuration: 5, Resolutions: sd,
		AspectRatios: allAsp, MaxPromptChars: maxPromptUnits, Price: perSecond(12)},
		ratios: map[provider.Kind]map[string]string{i2v: gen4Ratios, t2v: gen45TextRatios}},
	{caps: provider.Model{ID: "veo3", Name: "Veo 3 (Runway)", Kinds: []provider.Kind{t2v, i2v},
		Durations: []int{8}, Resolutions: hd, AspectRatios: wideAsp, Audio: true,
		MaxPromptChars: maxPromptUnits, Price: perSecond(40)},
		ratios:   map[provider.Kind]map[string]string{i2v: veoRatios, t2v: veoRatios},
		negative: true},
	{caps: provider.Model{ID: "veo3.1", Name: "Veo 3.1 (Runway)",
		Kinds: []provider.Kind{t2v, i2v}, Durations: []int{4, 6, 8}, DefaultDuration: 8,
		Resolutions: hd, AspectRatios: wideAsp, Audio: true, MaxPromptChars: maxPromptUnits,
		Price: perSecond(40)},
		ratios: map[provider.Kind]map[string]string{i2v: veoRatios, t2v: veoRatios},
		audio:  true, negative: true},
	{caps: provider.Model{ID: "veo3.1_fast", Name: "Veo 3.1 Fast (Runway)",
		Kinds: []provider.Kind{t2v, i2v}, Durations: []int{4, 6, 8}, DefaultDuration: 8,
		Resolutions: hd, AspectRatios: wideAsp, Audio: true, MaxPromptChars: maxPromptUnits,
		Price: perSecond(15)},
		ratios: map[provider.Kind]map[string]string{i2v: veoRatios, t2v: veoRatios},
		audio:  true, negative: true},
	{caps: provider.Model{ID: "gen4_image", Name: "Gen-4 Image", Kinds: []provider.Kind{t2i},
		Resolutions: hd, AspectRatios: allAsp, MaxPromptChars: maxPromptUnits,
		Price: &provider.PriceModel{PerImageCents: map[string]int64{"720p": 5, "1080p": 8}}},
		ratios: map[provider.Kind]map[string]string{t2i: imageRatios}},
}

func findModel(id string) (model, bool) {
	for _, m := range models {
		if m.caps.ID == id {
			return m, true
		}
	}
	return model{}, false
}

// capabilities builds the advertised table.
func capabilities(name string) provider.Capabilities {
	c := provider.Capabilities{Provider: name, Kinds: []provider.Kind{i2v, t2v, t2i},
		DefaultConcurrency: defaultConcurrency}
	for _, m := range models {
		c.Models = append(c.Models, m.caps)
	}
	return c
}

// check applies the per-model rules Capabilities cannot express (ratio by
// kind, negative prompt, UTF-16 prompt length) after Capabilities.Validate,
// and returns the Runway ratio.
func (m model) check(req provider.Request) (string, error) {
	ratio, ok := m.ratios[req.Kind][ratioKey(req.Resolution, req.AspectRatio)]
	if !ok {
		return "", fmt.Errorf("model %s has no %s %s format for %s", m.caps.ID, req.Resolution,
			req.AspectRatio, req.Kind)
	}
	if req.NegativePrompt != "" && !m.negative {
		return "", fmt.Errorf("model %s takes no negative prompt", m.caps.ID)
	}
	if n := len(utf16.Encode([]rune(req.Prompt))); n > maxPromptUnits {
		return "", fmt.Errorf("prompt is %d UTF-16 units; Runway accepts %d", n, maxPromptUnits)
	}
	return ratio, nil
}
