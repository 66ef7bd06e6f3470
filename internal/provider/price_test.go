package provider

import (
	"errors"
	"strings"
	"testing"
)

func TestParsePriceOverrides(t *testing.T) {
	t.Parallel()
	got, err := ParsePriceOverrides(
		" runway:gen4_turbo:720p=5/s , nano:*:*=4/image,replicate:kwaivgi/kling-v2.0:*=28/s")
	if err != nil {
		t.Fatal(err)
	}
	want := PriceOverrides{
		{Provider: "runway", Model: "gen4_turbo", Resolution: "720p", Cents: 5, Unit: UnitSecond},
		{Provider: "nano", Model: "*", Resolution: "*", Cents: 4, Unit: UnitImage},
		{Provider: "replicate", Model: "kwaivgi/kling-v2.0", Resolution: "*", Cents: 28,
			Unit: UnitSecond},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if o, err := ParsePriceOverrides("  "); err != nil || o != nil {
		t.Errorf("blank input = %v, %v; want nil, nil", o, err)
	}
}

func TestParsePriceOverridesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, msg string }{
		{"runway:gen4_turbo:720p", "want provider:model:resolution=cents/unit"},
		{"runway:gen4_turbo=5/s", "selector needs provider:model:resolution"},
		{"Runway:x:720p=5/s", "provider must be"},
		{"runway:a b:720p=5/s", "model must be"},
		{"runway:x:480p=5/s", "resolution must be"},
		{"runway:x:720p=5", "price needs a unit"},
		{"runway:x:720p=5/min", "unit must be s or image"},
		{"runway:x:720p=-5/s", "whole non-negative number"},
		{"runway:x:720p=1.5/s", "whole non-negative number"},
		{"runway:x:720p=99999999999/s", "at most 10000000"},
		{"runway:x:720p=5/s,,", "empty entry"},
		{"a:b:*=1/s,a:b:*=2/s", "duplicate entry"},
	}
	for _, tc := range tests {
		_, err := ParsePriceOverrides(tc.in)
		if !errors.Is(err, ErrInvalidPriceOverride) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ParsePriceOverrides(%q) = %v; want %q", tc.in, err, tc.msg)
		}
	}
}

func TestPriceOverridesEstimate(t *testing.T) {
	t.Parallel()
	o, err := ParsePriceOverrides("*:*:*=1/s,runway:*:*=3/s,runway:veo3:1080p=30/s," +
		"runway:*:720p=4/image")
	if err != nil {
		t.Fatal(err)
	}
	caps := runwayCaps()
	tests := []struct {
		req  Request
		want int64
	}{
		{Request{Model: "veo3", Kind: KindTextToVideo, Resolution: "1080p"}, 240},
		{Request{Model: "veo3", Kind: KindTextToVideo, Resolution: "720p",
			DurationSeconds: 4}, 12},
		{Request{Kind: KindTextToImage, Resolution: "720p"}, 4},
		// No image override at 1080p, so the list price (none: 0) applies.
		{Request{Kind: KindTextToImage, Resolution: "1080p"}, 0},
	}
	for _, tc := range tests {
		if got := o.Estimate(caps, tc.req); got != tc.want {
			t.Errorf("Estimate(%+v) = %d, want %d", tc.req, got, tc.want)
		}
	}
	caps.Provider = "kling"
	if got := o.Estimate(caps, Request{Kind: KindImageToVideo, DurationSeconds: 10}); got != 10 {
		t.Errorf("global wildcard: got %d, want 10", got)
	}
}

func FuzzParsePriceOverrides(f *testing.F) {
	for _, s := range []string{
		"runway:gen4_turbo:720p=5/s,nano:*:*=4/image", "", ",", "a:b:c=1/s", "*:*:*=0/image",
		"x:y:4k=10000000/s", "a:b:*=1/s,a:b:*=1/image", "=/", ":::=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParsePriceOverrides(s)
		if err != nil {
			if o != nil || !errors.Is(err, ErrInvalidPriceOverride) {
				t.Fatalf("error %v with result %v", err, o)
			}
			return
		}
		for _, e := range o {
			if e.Cents < 0 || e.Cents > maxOverrideCents ||
				(e.Unit != UnitSecond && e.Unit != UnitImage) ||
				!validName(e.Provider, false) || !validName(e.Model, true) {
				t.Fatalf("accepted bad entry %+v from %q", e, s)
			}
			// A parsed entry must be found again by its own selector.
			if _, ok := o.Lookup(e.Provider, e.Model, e.Resolution, e.Unit); !ok {
				t.Fatalf("entry %+v not found by Lookup", e)
			}
		}
	})
}
