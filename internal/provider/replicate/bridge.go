package replicate

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/reelforge/reelforge/internal/provider"
)

// Bridge names a provider that runs vendor models on Replicate: a bridge
// "veo" with models ["google/veo-3"] is a provider called veo whose jobs are
// Replicate predictions of google/veo-3.
type Bridge struct {
	// Name is the provider name ("veo"), as used in PROVIDERS_ENABLED.
	Name string
	// Models are Replicate references; the first is the default model.
	Models []string
}

// DefaultBridges are the official vendor models on Replicate
// (PROVIDERS.md §1.10), for operators with a Replicate account but no
// account with the vendors themselves.
var DefaultBridges = []Bridge{
	{Name: "veo", Models: []string{"google/veo-3", "google/veo-3-fast", "google/veo-3.1",
		"google/veo-3.1-fast"}},
	{Name: "kling", Models: []string{"kwaivgi/kling-v2.1", "kwaivgi/kling-v2.0"}},
	{Name: "wan", Models: []string{"wan-video/wan-2.5-t2v", "wan-video/wan-2.5-i2v"}},
}

// Limits of the bridge grammar, generous for any real configuration.
const (
	maxBridges      = 32
	maxBridgeModels = 16
	maxBridgeInput  = 4096
)

var bridgeNameRe = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// ParseBridges reads a bridge list such as
// "veo=google/veo-3|google/veo-3.1,kling=kwaivgi/kling-v2.1": comma-separated
// name=models entries, models separated by "|", each a Replicate reference
// (owner/name, owner/name:version or a version id). Names are lowercase
// letters, digits, _ and - starting with a letter, and must be unique; a
// model may appear once per bridge. Blank input gives no bridges.
func ParseBridges(s string) ([]Bridge, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if len(s) > maxBridgeInput {
		return nil, fmt.Errorf("replicate: bridge list longer than %d bytes", maxBridgeInput)
	}
	entries := strings.Split(s, ",")
	if len(entries) > maxBridges {
		return nil, fmt.Errorf("replicate: %d bridges, at most %d", len(entries), maxBridges)
	}
	var out []Bridge
	for _, e := range entries {
		name, models, ok := strings.Cut(strings.TrimSpace(e), "=")
		name = strings.TrimSpace(name)
		if !ok || !bridgeNameRe.MatchString(name) {
			return nil, fmt.Errorf("replicate: bridge %q: want name=owner/model", clip(e))
		}
		if slices.ContainsFunc(out, func(b Bridge) bool { return b.Name == name }) {
			return nil, fmt.Errorf("replicate: bridge %q listed twice", name)
		}
		b := Bridge{Name: name}
		refs := strings.Split(models, "|")
		if len(refs) > maxBridgeModels {
			return nil, fmt.Errorf("replicate: bridge %q: more than %d models", name,
				maxBridgeModels)
		}
		for _, m := range refs {
			m = strings.TrimSpace(m)
			if _, err := parseRef(m); err != nil {
				return nil, fmt.Errorf("replicate: bridge %q: %w", name, err)
			}
			if slices.Contains(b.Models, m) {
				return nil, fmt.Errorf("replicate: bridge %q lists %s twice", name, m)
			}
			b.Models = append(b.Models, m)
		}
		out = append(out, b)
	}
	return out, nil
}

// String renders b in ParseBridges' grammar.
func (b Bridge) String() string { return b.Name + "=" + strings.Join(b.Models, "|") }

// Specs returns the model specs of b: the catalog's for known models,
// Generic for the rest.
func (b Bridge) Specs() []ModelSpec {
	specs := make([]ModelSpec, len(b.Models))
	for i, m := range b.Models {
		specs[i] = specFor(m)
	}
	return specs
}

// Factory returns a provider.Factory building the bridge; the Config it
// receives carries the Replicate token and, optionally, a base URL.
func (b Bridge) Factory() provider.Factory {
	specs := b.Specs()
	return func(cfg provider.Config) (provider.Provider, error) {
		return NewBridge(cfg, b.Name, specs...)
	}
}

// clip shortens user input quoted in an error message.
func clip(s string) string {
	const n = 60
	s = strings.ToValidUTF8(s, "")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
