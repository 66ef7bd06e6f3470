package provider

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// echoProvider is a minimal real Provider used to exercise the Registry.
type echoProvider struct {
	name   string
	cfg    Config
	closed *int
}

func (p *echoProvider) Name() string               { return p.name }
func (p *echoProvider) Capabilities() Capabilities { return Capabilities{Provider: p.name} }
func (p *echoProvider) Create(context.Context, Request) (Created, error) {
	return Created{JobID: p.name + "-1"}, nil
}
func (p *echoProvider) Get(context.Context, string) (Status, error) {
	return Status{State: StateSucceeded}, nil
}
func (p *echoProvider) Cancel(context.Context, string) error { return nil }
func (p *echoProvider) Close() error                         { *p.closed++; return nil }

func TestRegistry(t *testing.T) {
	t.Parallel()
	closed := 0
	factory := func(c Config) (Provider, error) {
		return &echoProvider{name: c.Name, cfg: c, closed: &closed}, nil
	}
	factories := map[string]Factory{"sim": factory, "runway": factory,
		"broken": func(Config) (Provider, error) { return nil, errors.New("no key") },
		"liar": func(Config) (Provider, error) {
			return &echoProvider{name: "other", closed: &closed}, nil
		}}
	r, err := NewRegistry([]string{"sim", "runway"}, factories,
		map[string]Config{"runway": {Credentials: "secret", BaseURL: "http://fake"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Names(), ","); got != "sim,runway" {
		t.Errorf("Names = %s", got)
	}
	if l := r.List(); len(l) != 2 || l[0].Name() != "sim" || l[1].Name() != "runway" {
		t.Errorf("List = %v", l)
	}
	p, err := r.Get("runway")
	if err != nil {
		t.Fatal(err)
	}
	if c := p.(*echoProvider).cfg; c.Credentials != "secret" || c.Name != "runway" {
		t.Errorf("factory got config %+v", c)
	}
	_, err = r.Get("kling")
	if !errors.Is(err, ErrUnknownProvider) || !strings.Contains(err.Error(), `"kling"`) ||
		!strings.Contains(err.Error(), "enabled: sim, runway") {
		t.Errorf("Get(kling) = %v", err)
	}
	if err := r.Close(); err != nil || closed != 2 {
		t.Errorf("Close = %v, closed %d providers", err, closed)
	}

	for _, tc := range []struct {
		enabled []string
		msg     string
	}{
		{[]string{"sim", "veo"}, `unknown provider "veo"; registered: broken, liar, runway, sim`},
		{[]string{"sim", "sim"}, `"sim" enabled twice`},
		{[]string{"broken"}, "creating broken: no key"},
		{[]string{"liar"}, `factory for "liar" built provider "other"`},
	} {
		closed = 0
		_, err := NewRegistry(tc.enabled, factories, nil)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("NewRegistry(%v) = %v, want %q", tc.enabled, err, tc.msg)
		}
		if tc.enabled[0] == "sim" && closed == 0 {
			t.Errorf("NewRegistry(%v) did not close the providers it built", tc.enabled)
		}
	}
}

func TestConfigRedactsCredentials(t *testing.T) {
	t.Parallel()
	c := Config{Name: "kling", Credentials: "ak:sk-very-secret"}
	if s := c.String(); strings.Contains(s, "very-secret") {
		t.Errorf("String leaks: %s", s)
	}
	if s := c.LogValue().String(); strings.Contains(s, "very-secret") {
		t.Errorf("LogValue leaks: %s", s)
	}
}
