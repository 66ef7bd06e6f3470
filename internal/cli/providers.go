package cli

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/provider/kling"
	"github.com/reelforge/reelforge/internal/provider/nanobanana"
	"github.com/reelforge/reelforge/internal/provider/replicate"
	"github.com/reelforge/reelforge/internal/provider/runway"
	"github.com/reelforge/reelforge/internal/provider/sim"
	"github.com/reelforge/reelforge/internal/provider/veo"
	"github.com/reelforge/reelforge/internal/provider/wan"
)

// adapterFactories are the direct vendor adapters by PROVIDERS_ENABLED name.
var adapterFactories = map[string]provider.Factory{
	"replicate": replicate.Factory(),
	"runway":    runway.Factory(),
	"kling":     kling.Factory(),
	"veo":       veo.Factory(),
	"wan":       wan.Factory(),
	"nano":      nanobanana.Factory(),
}

// platformCredentials returns the platform-wide key of a provider from its
// PROVIDER_* variables; empty when there is none.
func (a *app) platformCredentials(name string) string {
	p := a.cfg.Providers
	switch name {
	case "runway":
		return p.RunwayToken
	case "veo":
		return p.VeoCredentials
	case "wan":
		return p.WanToken
	case "nano":
		return p.NanoToken
	case "replicate":
		return a.cfg.Getenv("PROVIDER_REPLICATE_TOKEN")
	case "kling":
		ak, sk := a.cfg.Getenv("PROVIDER_KLING_ACCESS_KEY"), a.cfg.Getenv("PROVIDER_KLING_SECRET_KEY")
		if ak != "" && sk != "" {
			return ak + ":" + sk
		}
		return p.KlingToken
	}
	return ""
}

// providers builds the registry of PROVIDERS_ENABLED and returns the
// factories and base configurations, which organizations' own accounts
// reuse with their keys. veo, kling and wan without a direct key run through
// their official Replicate models when a Replicate token is set. The
// simulator runs in this process unless PROVIDER_SIM_BASE_URL names one
// served elsewhere.
func (a *app) providers(ctx context.Context) (*provider.Registry,
	map[string]provider.Factory, map[string]provider.Config, error) {
	factories := map[string]provider.Factory{}
	configs := map[string]provider.Config{}
	bridges, err := replicate.ParseBridges(a.cfg.Getenv("PROVIDER_REPLICATE_BRIDGES"))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("config: invalid PROVIDER_REPLICATE_BRIDGES: %w", err)
	}
	if len(bridges) == 0 {
		bridges = replicate.DefaultBridges
	}
	client := &http.Client{Timeout: a.cfg.Providers.Timeout}
	for _, name := range a.cfg.Providers.Enabled {
		if name == sim.Name {
			continue
		}
		cfg := provider.Config{Name: name, Credentials: a.platformCredentials(name),
			BaseURL:    a.cfg.Getenv("PROVIDER_" + strings.ToUpper(name) + "_BASE_URL"),
			HTTPClient: client, Logger: a.log, Getenv: a.cfg.Getenv}
		factory := adapterFactories[name]
		if cfg.Credentials == "" {
			if token := a.platformCredentials("replicate"); token != "" {
				for _, b := range bridges {
					if b.Name == name {
						factory = b.Factory()
						cfg.Credentials = token
						cfg.BaseURL = a.cfg.Getenv("PROVIDER_REPLICATE_BASE_URL")
					}
				}
			}
		}
		if cfg.Credentials == "" {
			return nil, nil, nil, fmt.Errorf("config: invalid PROVIDERS_ENABLED: %s is "+
				"enabled but has no key (set %s)", name, credentialVar(name))
		}
		factories[name], configs[name] = factory, cfg
	}
	if a.cfg.Engine.SimBaseURL != "" {
		factories[sim.Name] = sim.RemoteFactory()
		configs[sim.Name] = provider.Config{Name: sim.Name, BaseURL: a.cfg.Engine.SimBaseURL,
			Credentials: a.cfg.Getenv("SIM_TOKEN"), Logger: a.log, HTTPClient: client,
			Getenv: a.cfg.Getenv}
	} else if slices.Contains(a.cfg.Providers.Enabled, sim.Name) {
		simCfg, err := sim.LoadConfig(a.cfg.Getenv)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("config: %w", err)
		}
		simCfg.BaseURL = a.cfg.AppURL + "/sim"
		if simCfg.OutputDir == "" {
			simCfg.OutputDir = filepath.Join(a.cfg.DataDir, "sim")
		}
		simCfg.Runner, simCfg.Logger = a.media, a.log
		if a.sim, err = sim.New(simCfg); err != nil {
			return nil, nil, nil, err
		}
		a.closers = append(a.closers, a.sim.Close)
		s := a.sim
		factories[sim.Name] = func(provider.Config) (provider.Provider, error) { return s, nil }
	}
	registry, err := provider.NewRegistry(a.cfg.Providers.Enabled, factories, configs)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("config: invalid PROVIDERS_ENABLED: %w", err)
	}
	a.closers = append(a.closers, registry.Close)
	return registry, factories, configs, nil
}

func credentialVar(name string) string {
	switch name {
	case "veo":
		return "PROVIDER_VEO_CREDENTIALS, or PROVIDER_REPLICATE_TOKEN for the Replicate bridge"
	case "kling":
		return "PROVIDER_KLING_ACCESS_KEY and PROVIDER_KLING_SECRET_KEY, or PROVIDER_REPLICATE_TOKEN"
	case "wan":
		return "PROVIDER_WAN_TOKEN, or PROVIDER_REPLICATE_TOKEN"
	}
	return "PROVIDER_" + strings.ToUpper(name) + "_TOKEN"
}
