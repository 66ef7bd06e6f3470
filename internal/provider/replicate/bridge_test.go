package replicate

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/provider/replicate/replicatetest"
)

func TestParseBridges(t *testing.T) {
	t.Parallel()
	got, err := ParseBridges(" veo=google/veo-3 | google/veo-3.1 , kling=kwaivgi/kling-v2.1," +
		"x=acme/thing:" + replicatetest.Version)
	if err != nil {
		t.Fatal(err)
	}
	want := []Bridge{{"veo", []string{"google/veo-3", "google/veo-3.1"}},
		{"kling", []string{"kwaivgi/kling-v2.1"}},
		{"x", []string{"acme/thing:" + replicatetest.Version}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
	if b, err := ParseBridges("  "); b != nil || err != nil {
		t.Errorf("blank: %v %v", b, err)
	}
	for _, bad := range []string{"veo", "veo=", "=google/veo-3", "Veo=google/veo-3",
		"veo=google/veo-3,veo=google/veo-3.1", "veo=google/veo-3|google/veo-3",
		"veo=google/veo-3:abc", "veo=google", "veo=google/veo-3,", "v e=google/veo-3"} {
		if b, err := ParseBridges(bad); err == nil {
			t.Errorf("%q accepted as %v", bad, b)
		}
	}
}

func TestDefaultBridgesRoundTrip(t *testing.T) {
	t.Parallel()
	parts := make([]string, len(DefaultBridges))
	for i, b := range DefaultBridges {
		parts[i] = b.String()
		for _, s := range b.Specs() {
			if _, ok := Known(s.Model.ID); !ok {
				t.Errorf("default bridge %s uses uncatalogued %s", b.Name, s.Model.ID)
			}
		}
	}
	got, err := ParseBridges(strings.Join(parts, ","))
	if err != nil || !reflect.DeepEqual(got, DefaultBridges) {
		t.Errorf("round trip: %v %v", got, err)
	}
}

func FuzzParseBridges(f *testing.F) {
	f.Add("veo=google/veo-3|google/veo-3.1,kling=kwaivgi/kling-v2.1")
	f.Add("x=" + replicatetest.Version)
	f.Add("a=b/c:" + replicatetest.Version + ",,")
	f.Fuzz(func(t *testing.T, s string) {
		bs, err := ParseBridges(s)
		if err != nil {
			return
		}
		// Whatever parses renders back to an equivalent list.
		parts := make([]string, len(bs))
		for i, b := range bs {
			if len(b.Models) == 0 {
				t.Fatalf("bridge %q without models", b.Name)
			}
			parts[i] = b.String()
		}
		again, err := ParseBridges(strings.Join(parts, ","))
		if err != nil || !reflect.DeepEqual(again, bs) {
			t.Fatalf("%q: reparse gave %v, %v", s, again, err)
		}
	})
}

func TestBridgeRunsVendorModel(t *testing.T) {
	t.Parallel()
	f := replicatetest.NewServer(t, replicatetest.Options{})
	var veo Bridge
	for _, b := range DefaultBridges {
		if b.Name == "veo" {
			veo = b
		}
	}
	p, err := veo.Factory()(provider.Config{Name: "veo", Credentials: replicatetest.Token,
		BaseURL: f.URL()})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "veo" {
		t.Fatalf("name %q", p.Name())
	}
	caps := p.Capabilities()
	if len(caps.Models) != 4 || caps.Models[0].ID != "google/veo-3" || !caps.Models[0].Audio {
		t.Fatalf("caps %+v", caps.Models)
	}
	seed := int64(42)
	req := provider.Request{Model: "google/veo-3.1", Kind: provider.KindImageToVideo,
		Prompt: "a lighthouse in fog", NegativePrompt: "people", Audio: true, Seed: &seed,
		ImageURL: "https://example.com/k.png", DurationSeconds: 6,
		Resolution: provider.Resolution1080p, AspectRatio: provider.Aspect9x16}
	if err := caps.Validate(req); err != nil {
		t.Fatal(err)
	}
	c, err := p.Create(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(f.LastBody()["input"])
	want := `{"aspect_ratio":"9:16","duration":6,"generate_audio":true,` +
		`"image":"https://example.com/k.png","negative_prompt":"people",` +
		`"prompt":"a lighthouse in fog","resolution":"1080p","seed":42}`
	if string(got) != want || f.LastPath() != "/v1/models/google/veo-3.1/predictions" {
		t.Errorf("sent %s to %s", got, f.LastPath())
	}
	f.Advance(replicatetest.TicksDone)
	st, err := p.Get(context.Background(), c.JobID)
	if err != nil || st.State != provider.StateSucceeded {
		t.Fatalf("%+v %v", st, err)
	}
	// veo-3 has a fixed length and gets no duration field; the strict fake
	// would refuse one.
	req.Model, req.DurationSeconds = "google/veo-3", 8
	if _, err := p.Create(context.Background(), req); err != nil {
		t.Fatalf("veo-3: %v", err)
	}
	// A bridge runs only its own models.
	req.Model = "kwaivgi/kling-v2.1"
	_, err = p.Create(context.Background(), req)
	wantCode(t, err, provider.CodeBadRequest)
}

func TestBridgeWanSizes(t *testing.T) {
	t.Parallel()
	f := replicatetest.NewServer(t, replicatetest.Options{})
	p, err := NewBridge(provider.Config{Credentials: replicatetest.Token, BaseURL: f.URL()}, "wan",
		specFor("wan-video/wan-2.5-t2v"))
	if err != nil {
		t.Fatal(err)
	}
	req := p.Capabilities().WithDefaults(provider.Request{Kind: provider.KindTextToVideo,
		Prompt: "rain on neon", AspectRatio: provider.Aspect9x16})
	if _, err := p.Create(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	in := f.LastBody()["input"].(map[string]any)
	if in["size"] != "720*1280" || in["duration"] != 5.0 {
		t.Errorf("input %v", in)
	}
	if _, err := NewBridge(provider.Config{}, "wan"); err == nil {
		t.Error("bridge without models accepted")
	}
}
