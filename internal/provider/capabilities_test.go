package provider

import (
	"errors"
	"strings"
	"testing"
)

func runwayCaps() Capabilities {
	return Capabilities{
		Provider: "runway",
		Kinds:    []Kind{KindImageToVideo, KindTextToVideo},
		Models: []Model{
			{ID: "gen4_turbo", Kinds: []Kind{KindImageToVideo}, Durations: []int{5, 10},
				Resolutions: []string{"720p"}, AspectRatios: []string{"16:9", "9:16"},
				MaxPromptChars: 1000},
			{ID: "veo3", Kinds: []Kind{KindTextToVideo, KindImageToVideo}, MinDuration: 4,
				MaxDuration: 8, DefaultDuration: 8, Resolutions: []string{"720p", "1080p"},
				Audio: true, Price: &PriceModel{PerSecondCents: map[string]int64{"*": 40}}},
		},
		Price: PriceModel{PerSecondCents: map[string]int64{"720p": 5}},
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	img := "https://example.test/a.png"
	tests := []struct {
		name  string
		req   Request
		field string
		msg   string
	}{
		{"ok defaults", Request{Kind: KindImageToVideo, ImageURL: img}, "", ""},
		{"ok veo", Request{Model: "veo3", Kind: KindTextToVideo, Prompt: "p",
			DurationSeconds: 6, Resolution: "1080p", Audio: true}, "", ""},
		{"duration list", Request{Model: "gen4_turbo", Kind: KindImageToVideo, ImageURL: img,
			DurationSeconds: 7}, "duration_seconds",
			"provider runway model gen4_turbo does not support duration 7; allowed 5, 10"},
		{"duration range", Request{Model: "veo3", Kind: KindTextToVideo, Prompt: "p",
			DurationSeconds: 9}, "duration_seconds",
			"provider runway model veo3 does not support duration 9; allowed 4 to 8"},
		{"unknown model", Request{Model: "gen9", Kind: KindTextToVideo, Prompt: "p"}, "model",
			`provider runway has no model "gen9"; available gen4_turbo, veo3`},
		{"kind", Request{Model: "gen4_turbo", Kind: KindTextToVideo, Prompt: "p"}, "kind",
			"provider runway model gen4_turbo does not support text_to_video; " +
				"allowed image_to_video"},
		{"bogus kind", Request{Kind: "video", Prompt: "p"}, "kind", `does not know kind "video"`},
		{"resolution", Request{Kind: KindImageToVideo, ImageURL: img, Resolution: "4k"},
			"resolution", `does not support resolution "4k"; allowed 720p`},
		{"aspect", Request{Kind: KindImageToVideo, ImageURL: img, AspectRatio: "1:1"},
			"aspect_ratio", `does not support aspect ratio "1:1"; allowed 16:9, 9:16`},
		{"audio", Request{Kind: KindImageToVideo, ImageURL: img, Audio: true}, "audio",
			"provider runway model gen4_turbo cannot generate audio"},
		{"prompt too long", Request{Kind: KindImageToVideo, ImageURL: img,
			Prompt: strings.Repeat("字", 1001)}, "prompt",
			"accepts prompts of at most 1000 characters; got 1001"},
		{"missing image", Request{Kind: KindImageToVideo}, "image_url",
			"needs image_url for image_to_video"},
		{"stray image", Request{Model: "veo3", Kind: KindTextToVideo, Prompt: "p",
			ImageURL: img}, "image_url", "takes image_url only for image_to_video"},
		{"empty prompt", Request{Model: "veo3", Kind: KindTextToVideo, Prompt: "  "},
			"prompt", "needs a prompt"},
	}
	caps := runwayCaps()
	for _, tc := range tests {
		err := caps.Validate(tc.req)
		if tc.msg == "" {
			if err != nil {
				t.Errorf("%s: unexpected error %v", tc.name, err)
			}
			continue
		}
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: got %v, want *ValidationError", tc.name, err)
			continue
		}
		if ve.Field != tc.field || !strings.Contains(ve.Message, tc.msg) {
			t.Errorf("%s: got field %q message %q; want %q containing %q", tc.name, ve.Field,
				ve.Message, tc.field, tc.msg)
		}
	}
}

func TestWithDefaults(t *testing.T) {
	t.Parallel()
	got := runwayCaps().WithDefaults(Request{Model: "veo3", Kind: KindTextToVideo})
	if got.DurationSeconds != 8 || got.Resolution != "720p" || got.AspectRatio != "16:9" {
		t.Errorf("WithDefaults = %+v", got)
	}
	img := runwayCaps().WithDefaults(Request{Model: "veo3", Kind: KindTextToImage})
	if img.DurationSeconds != 0 {
		t.Errorf("image got a duration: %d", img.DurationSeconds)
	}
}

func TestEstimate(t *testing.T) {
	t.Parallel()
	p := PriceModel{
		PerSecondCents: map[string]int64{"720p": 5, "1080p": 8, "*": 20},
		PerImageCents:  map[string]int64{"720p": 4},
	}
	tests := []struct {
		req  Request
		want int64
	}{
		{Request{Kind: KindTextToVideo, Resolution: "720p", DurationSeconds: 10}, 50},
		{Request{Kind: KindImageToVideo, Resolution: "1080p", DurationSeconds: 5}, 40},
		{Request{Kind: KindTextToVideo, Resolution: "4k", DurationSeconds: 2}, 40},
		{Request{Kind: KindTextToImage, Resolution: "720p"}, 4},
		{Request{Kind: KindTextToImage, Resolution: "4k"}, 0},
		{Request{Kind: KindTextToVideo, Resolution: "720p", DurationSeconds: -3}, 0},
	}
	for _, tc := range tests {
		if got := p.Estimate(tc.req); got != tc.want {
			t.Errorf("Estimate(%+v) = %d, want %d", tc.req, got, tc.want)
		}
	}
	caps := runwayCaps()
	if got := caps.Estimate(Request{Kind: KindImageToVideo}); got != 25 {
		t.Errorf("default model 5 s at 5¢ = %d, want 25", got)
	}
	if got := caps.Estimate(Request{Model: "veo3", Kind: KindTextToVideo}); got != 320 {
		t.Errorf("veo3 8 s at 40¢ = %d, want 320", got)
	}
}
