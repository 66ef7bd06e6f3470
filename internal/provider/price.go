package provider

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Wildcard matches any provider, model or resolution in price tables and
// overrides.
const Wildcard = "*"

// PriceModel prices a request in US cents. Keys are resolution tiers or
// Wildcard, which applies to tiers without their own entry. Vendors bill in
// credits, units or tokens; adapters convert to cents so that spending can
// be compared and capped across providers.
type PriceModel struct {
	// PerSecondCents is the price of one second of video by resolution.
	PerSecondCents map[string]int64 `json:"per_second_cents,omitempty"`
	// PerImageCents is the price of one image by resolution.
	PerImageCents map[string]int64 `json:"per_image_cents,omitempty"`
}

// Estimate returns the expected cost of req in cents: seconds times the
// per-second price for video kinds, the per-image price for images. A
// resolution without a price (and no Wildcard entry) costs 0, as does a
// video request without a duration; call Capabilities.Estimate to have
// defaults applied first.
func (p PriceModel) Estimate(req Request) int64 {
	if req.Kind == KindTextToImage {
		c, _ := lookupPrice(p.PerImageCents, req.Resolution)
		return c
	}
	c, _ := lookupPrice(p.PerSecondCents, req.Resolution)
	return c * int64(max(req.DurationSeconds, 0))
}

func lookupPrice(m map[string]int64, res string) (int64, bool) {
	if c, ok := m[res]; ok {
		return c, true
	}
	c, ok := m[Wildcard]
	return c, ok
}

// Estimate prices req with its model's price (or the provider default) after
// applying the model defaults.
func (c Capabilities) Estimate(req Request) int64 {
	req = c.WithDefaults(req)
	return c.priceModel(req.Model).Estimate(req)
}

func (c Capabilities) priceModel(id string) PriceModel {
	if m, ok := c.Model(id); ok && m.Price != nil {
		return *m.Price
	}
	return c.Price
}

// PriceUnit says what an override's price is for.
type PriceUnit string

// Price units as written after the slash in an override.
const (
	// UnitSecond prices a second of video ("5/s").
	UnitSecond PriceUnit = "s"
	// UnitImage prices one image ("4/image").
	UnitImage PriceUnit = "image"
)

// PriceOverride is one entry of PRICE_OVERRIDES.
type PriceOverride struct {
	// Provider, Model and Resolution select requests; each may be Wildcard.
	Provider, Model, Resolution string
	// Cents is the price per Unit.
	Cents int64
	// Unit is UnitSecond or UnitImage.
	Unit PriceUnit
}

// PriceOverrides lets operators correct list prices without a release, for
// negotiated rates or vendor price changes. The most specific matching entry
// wins (fewest wildcards).
type PriceOverrides []PriceOverride

// Limits of the override grammar: long enough for any real configuration,
// short enough that hostile input is rejected quickly.
const (
	maxOverrides     = 256
	maxOverrideCents = 10_000_000 // $100,000 per unit
	maxNameLen       = 128
)

// ParsePriceOverrides parses PRICE_OVERRIDES, a comma-separated list of
// provider:model:resolution=cents/unit entries, for example
// "runway:gen4_turbo:720p=5/s,nano:*:*=4/image". Any of the three selectors
// may be "*"; cents is a whole non-negative number; unit is "s" or "image".
// Model ids may contain letters, digits and . _ - /. An empty string gives no
// overrides. Errors wrap ErrInvalidPriceOverride and quote the entry.
func ParsePriceOverrides(s string) (PriceOverrides, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	entries := strings.Split(s, ",")
	if len(entries) > maxOverrides {
		return nil, fmt.Errorf("%w: %d entries, at most %d allowed", ErrInvalidPriceOverride,
			len(entries), maxOverrides)
	}
	out := make(PriceOverrides, 0, len(entries))
	for _, e := range entries {
		o, err := parseOverride(strings.TrimSpace(e))
		if err != nil {
			return nil, err
		}
		for _, prev := range out {
			if prev.Provider == o.Provider && prev.Model == o.Model &&
				prev.Resolution == o.Resolution && prev.Unit == o.Unit {
				return nil, fmt.Errorf("%w: %s: duplicate entry", ErrInvalidPriceOverride,
					quoteEntry(e))
			}
		}
		out = append(out, o)
	}
	return out, nil
}

func parseOverride(e string) (PriceOverride, error) {
	bad := func(why string) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidPriceOverride, quoteEntry(e), why)
	}
	if e == "" {
		return PriceOverride{}, bad("empty entry")
	}
	sel, price, ok := strings.Cut(e, "=")
	if !ok {
		return PriceOverride{}, bad("want provider:model:resolution=cents/unit")
	}
	parts := strings.Split(strings.TrimSpace(sel), ":")
	if len(parts) != 3 {
		return PriceOverride{}, bad("selector needs provider:model:resolution")
	}
	o := PriceOverride{Provider: parts[0], Model: parts[1], Resolution: parts[2]}
	if !validName(o.Provider, false) {
		return PriceOverride{}, bad("provider must be * or lowercase letters, digits, _ and -")
	}
	if !validName(o.Model, true) {
		return PriceOverride{}, bad("model must be * or letters, digits, . _ - and /")
	}
	if o.Resolution != Wildcard && !slices.Contains(Resolutions, o.Resolution) {
		return PriceOverride{}, bad("resolution must be *, 720p, 1080p, 2k or 4k")
	}
	num, unit, ok := strings.Cut(strings.TrimSpace(price), "/")
	if !ok {
		return PriceOverride{}, bad("price needs a unit: cents/s or cents/image")
	}
	o.Unit = PriceUnit(unit)
	if o.Unit != UnitSecond && o.Unit != UnitImage {
		return PriceOverride{}, bad("unit must be s or image")
	}
	if num == "" || strings.TrimLeft(num, "0123456789") != "" {
		return PriceOverride{}, bad("cents must be a whole non-negative number")
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > maxOverrideCents {
		return PriceOverride{}, bad(fmt.Sprintf("cents must be at most %d", maxOverrideCents))
	}
	o.Cents = n
	return o, nil
}

// validName accepts Wildcard or a provider (model=false) or model id.
func validName(s string, model bool) bool {
	if s == Wildcard {
		return true
	}
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
		case model && (r >= 'A' && r <= 'Z' || r == '.' || r == '/'):
		default:
			return false
		}
	}
	return true
}

// quoteEntry quotes an entry for an error message, shortened so that a huge
// value does not flood the log.
func quoteEntry(e string) string {
	const max = 80
	if len(e) > max {
		e = strings.ToValidUTF8(e[:max], "") + "…"
	}
	return strconv.Quote(e)
}

// Lookup returns the override price for one provider, model, resolution and
// unit, preferring the entry with the fewest wildcards and, among equals,
// the later one.
func (o PriceOverrides) Lookup(provider, model, res string, unit PriceUnit) (int64, bool) {
	best, bestScore := int64(0), -1
	for _, e := range o {
		if e.Unit != unit || !match(e.Provider, provider) || !match(e.Model, model) ||
			!match(e.Resolution, res) {
			continue
		}
		score := specific(e.Provider) + specific(e.Model) + specific(e.Resolution)
		if score >= bestScore {
			best, bestScore = e.Cents, score
		}
	}
	return best, bestScore >= 0
}

func match(pattern, v string) bool { return pattern == Wildcard || pattern == v }

func specific(pattern string) int {
	if pattern == Wildcard {
		return 0
	}
	return 1
}

// Estimate prices req for the provider described by c, using an override
// when one matches and c.Estimate otherwise.
func (o PriceOverrides) Estimate(c Capabilities, req Request) int64 {
	req = c.WithDefaults(req)
	if req.Kind == KindTextToImage {
		if cents, ok := o.Lookup(c.Provider, req.Model, req.Resolution, UnitImage); ok {
			return cents
		}
	} else if cents, ok := o.Lookup(c.Provider, req.Model, req.Resolution, UnitSecond); ok {
		return cents * int64(max(req.DurationSeconds, 0))
	}
	return c.Estimate(req)
}
