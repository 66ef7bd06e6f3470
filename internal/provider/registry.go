package provider

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Registry holds the enabled providers, built once at start-up. It is
// read-only afterwards and therefore safe for concurrent use.
type Registry struct {
	names     []string
	providers map[string]Provider
}

// NewRegistry builds every provider named in enabled (PROVIDERS_ENABLED, for
// example ["sim"]) with its factory and configuration. configs may omit a
// provider, which then gets a Config with only Name set. An enabled name
// without a factory, a duplicate name, a failing factory or a provider whose
// Name differs from its registration is an error naming it; providers built
// before the failure are closed.
func NewRegistry(enabled []string, factories map[string]Factory,
	configs map[string]Config) (*Registry, error) {
	r := &Registry{providers: make(map[string]Provider, len(enabled))}
	for _, name := range enabled {
		if _, dup := r.providers[name]; dup {
			_ = r.Close()
			return nil, fmt.Errorf("provider: %q enabled twice", name)
		}
		f, ok := factories[name]
		if !ok || f == nil {
			_ = r.Close()
			return nil, fmt.Errorf("%w %q; registered: %s", ErrUnknownProvider, name,
				strings.Join(slices.Sorted(maps.Keys(factories)), ", "))
		}
		cfg := configs[name]
		cfg.Name = name
		p, err := f(cfg)
		if err != nil {
			_ = r.Close()
			return nil, fmt.Errorf("provider: creating %s: %w", name, err)
		}
		if p.Name() != name {
			_ = closeProvider(p)
			_ = r.Close()
			return nil, fmt.Errorf("provider: factory for %q built provider %q", name, p.Name())
		}
		r.names = append(r.names, name)
		r.providers[name] = p
	}
	return r, nil
}

// Get returns the named provider or an error wrapping ErrUnknownProvider
// that names it and lists the enabled ones.
func (r *Registry) Get(name string) (Provider, error) {
	if p, ok := r.providers[name]; ok {
		return p, nil
	}
	enabled := "none"
	if len(r.names) > 0 {
		enabled = strings.Join(r.names, ", ")
	}
	return nil, fmt.Errorf("%w %q; enabled: %s", ErrUnknownProvider, name, enabled)
}

// List returns the providers in the order they were enabled.
func (r *Registry) List() []Provider {
	out := make([]Provider, len(r.names))
	for i, n := range r.names {
		out[i] = r.providers[n]
	}
	return out
}

// Names returns the enabled provider names in order.
func (r *Registry) Names() []string { return slices.Clone(r.names) }

// Close closes every provider that implements io.Closer (the simulator stops
// its renders) and joins their errors.
func (r *Registry) Close() error {
	var errs []error
	for _, n := range r.names {
		errs = append(errs, closeProvider(r.providers[n]))
	}
	return errors.Join(errs...)
}

func closeProvider(p Provider) error {
	if c, ok := p.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
