package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/secret"
	"github.com/reelforge/reelforge/internal/store"
)

// Accounts turns an organization's own provider accounts into adapters.
// An organization without an account for a provider uses the platform's
// adapter (the PROVIDER_*_TOKEN credentials) from the registry.
type Accounts struct {
	Store     *store.Store
	Box       *secret.Box
	Factories map[string]provider.Factory
	// Base is the platform configuration of each provider (base URL, HTTP
	// client, logger); an account only swaps the credentials.
	Base map[string]provider.Config

	mu    sync.Mutex
	cache map[string]provider.Provider // by account id and update time
}

// account resolves the adapter for an organization and provider, and the
// key its circuit breaker and metrics are kept under.
func (e *Engine) account(ctx context.Context, orgID, name string) (provider.Provider, string, error) {
	if a := e.AccountSource; a != nil && orgID != "" {
		acct, err := a.Store.ActiveProviderAccount(ctx, orgID, name)
		switch {
		case err == nil:
			p, err := a.adapter(acct)
			return p, "account:" + acct.ID, err
		case !errors.Is(err, store.ErrNotFound):
			return nil, "", err
		}
	}
	p, err := e.Providers.Get(name)
	return p, "platform:" + name, err
}

func (a *Accounts) adapter(acct *store.ProviderAccount) (provider.Provider, error) {
	key := acct.ID + "@" + acct.UpdatedAt.String()
	a.mu.Lock()
	defer a.mu.Unlock()
	if p, ok := a.cache[key]; ok {
		return p, nil
	}
	factory, ok := a.Factories[acct.Provider]
	if !ok {
		return nil, fmt.Errorf("engine: no adapter for provider %q", acct.Provider)
	}
	plain, err := a.Box.Open(secret.Sealed{Ciphertext: acct.SecretCiphertext,
		WrappedKey: acct.WrappedKey, KeyVersion: acct.KeyVersion}, []byte(acct.ID))
	if err != nil {
		return nil, fmt.Errorf("engine: opening the key of provider account %s: %w", acct.ID, err)
	}
	cfg := a.Base[acct.Provider]
	cfg.Name, cfg.Credentials = acct.Provider, string(plain)
	p, err := factory(cfg)
	if err != nil {
		return nil, fmt.Errorf("engine: building the %s adapter of account %s: %s",
			acct.Provider, acct.ID, provider.Sanitize(err.Error()))
	}
	if a.cache == nil {
		a.cache = map[string]provider.Provider{}
	}
	a.cache[key] = p
	return p, nil
}
