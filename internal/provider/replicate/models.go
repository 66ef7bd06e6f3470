package replicate

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/reelforge/reelforge/internal/provider"
)

// ModelSpec ties one Replicate model to what Reelforge may ask of it: the
// capabilities advertised to the API (Model.ID is the Replicate reference,
// "owner/name" or "owner/name:version") and the function that turns a
// Request into the model's input object. Request.Params are merged over
// what MapInput returns, so callers can set any field the model has.
type ModelSpec struct {
	// Model is the capability entry; its ID is the Replicate reference.
	Model provider.Model
	// MapInput builds the "input" object of a prediction.
	MapInput func(provider.Request) map[string]any
}

// Reference grammar: owner and name are lowercase slugs; a version is the
// 64-hex id Replicate prints on a model's versions page.
var (
	slugRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`)
	versionRe = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// ref is a parsed model reference.
type ref struct {
	owner, name, version string
}

// parseRef accepts "owner/name", "owner/name:version" or a bare version.
func parseRef(s string) (ref, error) {
	if versionRe.MatchString(s) {
		return ref{version: s}, nil
	}
	model, version, hasVersion := strings.Cut(s, ":")
	owner, name, ok := strings.Cut(model, "/")
	if !ok || !slugRe.MatchString(owner) || !slugRe.MatchString(name) {
		return ref{}, fmt.Errorf("replicate: model %q is not owner/name, owner/name:version "+
			"or a 64-hex version id", provider.Sanitize(s))
	}
	if hasVersion && !versionRe.MatchString(version) {
		return ref{}, fmt.Errorf("replicate: model %q has a version that is not 64 hex digits",
			provider.Sanitize(s))
	}
	return ref{owner: owner, name: name, version: version}, nil
}

// model returns "owner/name", empty for a bare version.
func (r ref) model() string {
	if r.owner == "" {
		return ""
	}
	return r.owner + "/" + r.name
}

// Replicate list prices in US cents per second of output, read from the
// model pages; they change without notice (see the package doc).
func perSecond(byRes map[string]int64) *provider.PriceModel {
	return &provider.PriceModel{PerSecondCents: byRes}
}

var (
	videoKinds = []provider.Kind{provider.KindTextToVideo, provider.KindImageToVideo}
	i2vOnly    = []provider.Kind{provider.KindImageToVideo}
	t2vOnly    = []provider.Kind{provider.KindTextToVideo}
	wide       = []string{provider.Aspect16x9, provider.Aspect9x16}
	wideSquare = []string{provider.Aspect16x9, provider.Aspect9x16, provider.Aspect1x1}
	hd         = []string{provider.Resolution720p, provider.Resolution1080p}
)

// catalog is the curated set of official video models (PROVIDERS.md §1.10).
// Keep the order: the first entry is the replicate adapter's default model.
var catalog = []ModelSpec{
	{Model: provider.Model{ID: "kwaivgi/kling-v2.1", Name: "Kling 2.1 (Replicate)",
		Kinds: i2vOnly, Durations: []int{5, 10}, Resolutions: hd, AspectRatios: wideSquare,
		MaxPromptChars: 2500,
		Price:          perSecond(map[string]int64{"720p": 5, "1080p": 9})},
		MapInput: klingV21Input},
	{Model: provider.Model{ID: "kwaivgi/kling-v2.0", Name: "Kling 2.0 (Replicate)",
		Kinds: videoKinds, Durations: []int{5, 10},
		Resolutions: []string{provider.Resolution720p}, AspectRatios: wideSquare,
		MaxPromptChars: 2500, Price: perSecond(map[string]int64{"*": 28})},
		MapInput: klingV20Input},
	{Model: provider.Model{ID: "google/veo-3", Name: "Veo 3 (Replicate)", Kinds: videoKinds,
		Durations: []int{8}, Resolutions: hd, AspectRatios: wide, Audio: true,
		Price: perSecond(map[string]int64{"*": 75})},
		MapInput: veoInput(false)},
	{Model: provider.Model{ID: "google/veo-3-fast", Name: "Veo 3 Fast (Replicate)",
		Kinds: videoKinds, Durations: []int{8}, Resolutions: hd, AspectRatios: wide,
		Audio: true, Price: perSecond(map[string]int64{"*": 40})},
		MapInput: veoInput(false)},
	{Model: provider.Model{ID: "google/veo-3.1", Name: "Veo 3.1 (Replicate)",
		Kinds: videoKinds, Durations: []int{4, 6, 8}, DefaultDuration: 8, Resolutions: hd,
		AspectRatios: wide, Audio: true, Price: perSecond(map[string]int64{"*": 40})},
		MapInput: veoInput(true)},
	{Model: provider.Model{ID: "google/veo-3.1-fast", Name: "Veo 3.1 Fast (Replicate)",
		Kinds: videoKinds, Durations: []int{4, 6, 8}, DefaultDuration: 8, Resolutions: hd,
		AspectRatios: wide, Audio: true, Price: perSecond(map[string]int64{"*": 15})},
		MapInput: veoInput(true)},
	{Model: provider.Model{ID: "wan-video/wan-2.5-t2v", Name: "Wan 2.5 text-to-video " +
		"(Replicate)", Kinds: t2vOnly, Durations: []int{5, 10}, Resolutions: hd,
		AspectRatios: wide, MaxPromptChars: 800,
		Price: perSecond(map[string]int64{"720p": 10, "1080p": 15})},
		MapInput: wanT2VInput},
	{Model: provider.Model{ID: "wan-video/wan-2.5-i2v", Name: "Wan 2.5 image-to-video " +
		"(Replicate)", Kinds: i2vOnly, Durations: []int{5, 10}, Resolutions: hd,
		AspectRatios: wideSquare, MaxPromptChars: 800,
		Price: perSecond(map[string]int64{"720p": 10, "1080p": 15})},
		MapInput: wanI2VInput},
}

// Known returns the curated spec of a model reference; a pinned version
// ("owner/name:version") gets the spec of its model with the reference kept
// as the ID. ok is false for models outside the catalog.
func Known(reference string) (spec ModelSpec, ok bool) {
	r, err := parseRef(reference)
	if err != nil {
		return ModelSpec{}, false
	}
	for _, s := range catalog {
		if s.Model.ID == r.model() {
			s.Model.ID = reference
			return s, true
		}
	}
	return ModelSpec{}, false
}

// Generic returns the spec used for a model outside the catalog: both video
// kinds, any duration of at least one second, every resolution and aspect
// ratio, no price, and the common input names (prompt, negative_prompt,
// image, duration, aspect_ratio, resolution, seed). Use Request.Params for
// anything else the model wants.
func Generic(reference string) ModelSpec {
	return ModelSpec{Model: provider.Model{ID: reference, Name: reference, Kinds: videoKinds,
		MinDuration: 1}, MapInput: genericInput}
}

// specFor returns Known(reference) or Generic(reference).
func specFor(reference string) ModelSpec {
	if s, ok := Known(reference); ok {
		return s
	}
	return Generic(reference)
}

// common fills the fields most models name alike.
func common(req provider.Request, in map[string]any) map[string]any {
	if req.Prompt != "" {
		in["prompt"] = req.Prompt
	}
	if req.NegativePrompt != "" {
		in["negative_prompt"] = req.NegativePrompt
	}
	if req.Seed != nil {
		in["seed"] = *req.Seed
	}
	return in
}

func veoInput(withDuration bool) func(provider.Request) map[string]any {
	return func(req provider.Request) map[string]any {
		in := common(req, map[string]any{"aspect_ratio": req.AspectRatio,
			"resolution": req.Resolution, "generate_audio": req.Audio})
		if req.ImageURL != "" {
			in["image"] = req.ImageURL
		}
		// veo-3 has a fixed 8 s length and older versions reject the field.
		if withDuration && req.DurationSeconds > 0 {
			in["duration"] = req.DurationSeconds
		}
		return in
	}
}

func klingV21Input(req provider.Request) map[string]any {
	mode := "standard"
	if req.Resolution == provider.Resolution1080p {
		mode = "pro"
	}
	in := common(req, map[string]any{"start_image": req.ImageURL, "mode": mode})
	delete(in, "seed") // the model has no seed input
	if req.DurationSeconds > 0 {
		in["duration"] = req.DurationSeconds
	}
	return in
}

func klingV20Input(req provider.Request) map[string]any {
	in := common(req, map[string]any{"aspect_ratio": req.AspectRatio})
	delete(in, "seed")
	if req.ImageURL != "" {
		in["start_image"] = req.ImageURL
	}
	if req.DurationSeconds > 0 {
		in["duration"] = req.DurationSeconds
	}
	return in
}

// wanSizes maps a tier and aspect ratio to wan-2.5-t2v's "W*H" size.
var wanSizes = map[string]string{
	"720p/16:9": "1280*720", "720p/9:16": "720*1280",
	"1080p/16:9": "1920*1080", "1080p/9:16": "1080*1920",
}

func wanT2VInput(req provider.Request) map[string]any {
	in := common(req, map[string]any{})
	if size, ok := wanSizes[req.Resolution+"/"+req.AspectRatio]; ok {
		in["size"] = size
	}
	if req.DurationSeconds > 0 {
		in["duration"] = req.DurationSeconds
	}
	return in
}

func wanI2VInput(req provider.Request) map[string]any {
	in := common(req, map[string]any{"image": req.ImageURL, "resolution": req.Resolution})
	if req.DurationSeconds > 0 {
		in["duration"] = req.DurationSeconds
	}
	return in
}

func genericInput(req provider.Request) map[string]any {
	in := common(req, map[string]any{})
	if req.ImageURL != "" {
		in["image"] = req.ImageURL
	}
	if req.Kind.IsVideo() && req.DurationSeconds > 0 {
		in["duration"] = req.DurationSeconds
	}
	if req.AspectRatio != "" {
		in["aspect_ratio"] = req.AspectRatio
	}
	if req.Resolution != "" {
		in["resolution"] = req.Resolution
	}
	return in
}
