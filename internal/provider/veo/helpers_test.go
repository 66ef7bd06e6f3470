package veo

import (
	"testing"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/provider/veo/veotest"
)

// newVertex builds an adapter on the Vertex route against f.
func newVertex(t *testing.T, f *veotest.Server, env map[string]string) *Adapter {
	t.Helper()
	a, err := New(provider.Config{Name: Name, Credentials: f.ServiceAccount(veotest.SigningKey()),
		BaseURL: f.URL(), Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	a.gcsBase = f.URL()
	return a
}

func newGemini(t *testing.T, f *veotest.Server, key string) *Adapter {
	t.Helper()
	a, err := New(provider.Config{Name: Name, Credentials: key, BaseURL: f.URL()})
	if err != nil {
		t.Fatal(err)
	}
	return a
}
