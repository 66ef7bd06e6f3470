package engine

import (
	"context"
	"errors"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/store"
)

// ProviderInfo is what GET /api/v1/providers shows of one provider for one
// organization.
type ProviderInfo struct {
	Name string `json:"name"`
	// Configured is true when the organization or the platform has
	// credentials for it (the simulator needs none).
	Configured bool `json:"configured"`
	// Account is "organization" when the organization's own key is used,
	// "platform" otherwise.
	Account      string                `json:"account"`
	Circuit      string                `json:"circuit"`
	LastResult   string                `json:"last_result,omitempty"`
	LastCallAt   time.Time             `json:"last_call_at,omitzero"`
	Capabilities provider.Capabilities `json:"capabilities"`
	Limits       LimitsView            `json:"limits"`
	// Quota is what the vendor reports of the account's remaining credit;
	// null when the vendor reports none.
	Quota *int64 `json:"quota"`
}

// LimitsView is a provider's caps and their current use.
type LimitsView struct {
	Concurrency   int `json:"concurrency"`
	InUse         int `json:"in_use"`
	RatePerMinute int `json:"rate_per_minute"`
}

// ProviderInfos describes every enabled provider as the organization sees
// it.
func (e *Engine) ProviderInfos(ctx context.Context, orgID string) ([]ProviderInfo, error) {
	out := []ProviderInfo{}
	for _, name := range e.Providers.Names() {
		p, acct, err := e.account(ctx, orgID, name)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if p == nil {
			continue
		}
		caps := p.Capabilities()
		lim := e.limitsOf(name, caps)
		inUse, _ := e.Slots.InUse(ctx, "provider:"+name)
		state, last, at := e.breaker.state(acct, e.now())
		info := ProviderInfo{Name: name, Configured: true, Account: "platform",
			Circuit: state, LastResult: last, LastCallAt: at, Capabilities: caps,
			Limits: LimitsView{Concurrency: lim.Concurrency, InUse: inUse,
				RatePerMinute: lim.RatePerMinute}}
		if len(acct) > 8 && acct[:8] == "account:" {
			info.Account = "organization"
		}
		out = append(out, info)
	}
	return out, nil
}

// ForgetAccounts drops cached adapters after an account changed.
func (e *Engine) ForgetAccounts() {
	if a := e.AccountSource; a != nil {
		a.mu.Lock()
		a.cache = nil
		a.mu.Unlock()
	}
}
