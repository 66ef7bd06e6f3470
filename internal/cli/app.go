package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/config"
	"github.com/reelforge/reelforge/internal/db"
	"github.com/reelforge/reelforge/internal/engine"
	"github.com/reelforge/reelforge/internal/httpapi"
	"github.com/reelforge/reelforge/internal/media"
	"github.com/reelforge/reelforge/internal/netguard"
	"github.com/reelforge/reelforge/internal/obs"
	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/provider/sim"
	"github.com/reelforge/reelforge/internal/queue"
	"github.com/reelforge/reelforge/internal/ratelimit"
	"github.com/reelforge/reelforge/internal/storage"
	"github.com/reelforge/reelforge/internal/store"
	"github.com/reelforge/reelforge/internal/version"
)

// app is one process's wiring: the database, queue, storage, providers and
// engine that serve, api and worker share.
type app struct {
	cfg     *config.Config
	log     *slog.Logger
	db      *db.DB
	store   *store.Store
	keys    auth.Keys
	queue   queue.Backend
	redis   *redis.Client
	disk    *storage.Local
	media   *media.Runner
	sim     *sim.Sim
	engine  *engine.Engine
	metrics *obs.Metrics
	closers []func() error
}

// newApp opens and wires everything from the configuration; the database
// is migrated.
func newApp(ctx context.Context, e *env) (a *app, err error) {
	a = &app{cfg: e.cfg, log: e.log, metrics: obs.NewMetrics()}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if a.keys, err = auth.DeriveKeys(e.cfg.AppKey); err != nil {
		return nil, err
	}
	if a.db, err = openDB(ctx, e.cfg); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.db.Close)
	if n, err := a.db.Migrate(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		a.log.InfoContext(ctx, "cli: applied migrations", slog.Int("count", n))
	}
	a.store = store.New(a.db)
	if a.media, err = media.NewRunner(media.Config{FFmpegPath: e.cfg.FFmpegPath,
		FFprobePath: e.cfg.FFprobePath, Logger: a.log}); err != nil {
		return nil, err
	}
	a.disk, err = storage.NewLocal(storage.LocalConfig{Root: filepath.Join(e.cfg.DataDir,
		"storage"), BaseURL: e.cfg.AppURL, SigningKey: a.keys.URL})
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.disk.Close)
	if err := a.openQueue(ctx); err != nil {
		return nil, err
	}
	registry, err := a.providers(ctx)
	if err != nil {
		return nil, err
	}
	allow, err := netguard.ParseAllow(strings.Join(e.cfg.OutboundAllow, ","))
	if err != nil {
		return nil, fmt.Errorf("config: invalid REELFORGE_OUTBOUND_ALLOW: %w", err)
	}
	if a.sim != nil {
		// The in-process simulator serves its outputs from this very server.
		if u, err := url.Parse(e.cfg.AppURL); err == nil {
			allow = append(allow, u.Hostname())
		}
	} else if e.cfg.Engine.SimBaseURL != "" {
		if u, err := url.Parse(e.cfg.Engine.SimBaseURL); err == nil {
			allow = append(allow, u.Hostname())
		}
	}
	outbound := netguard.NewClient(netguard.Policy{Allow: allow},
		netguard.Options{UserAgent: "Reelforge/" + version.Version})
	var limiter ratelimit.Limiter = ratelimit.NewMemory()
	var slots ratelimit.Semaphore = ratelimit.NewMemorySemaphore()
	if a.redis != nil {
		limiter = ratelimit.NewRedis(a.redis, "reelforge:rl")
		slots = ratelimit.NewRedisSemaphore(a.redis, "reelforge:slots")
	}
	tmp := filepath.Join(e.cfg.DataDir, "tmp")
	if err := os.MkdirAll(tmp, 0o750); err != nil {
		return nil, fmt.Errorf("cli: making %s: %w", tmp, err)
	}
	limits := map[string]engine.Limits{}
	for _, name := range registry.Names() {
		p, _ := registry.Get(name)
		caps := p.Capabilities()
		l := engine.Limits{Concurrency: caps.DefaultConcurrency,
			RatePerMinute: caps.DefaultRatePerMinute}
		if n, ok := e.cfg.Engine.ProviderConcurrency[name]; ok {
			l.Concurrency = n
		}
		if n, ok := e.cfg.Engine.ProviderRatePerMinute[name]; ok {
			l.RatePerMinute = n
		}
		limits[name] = l
	}
	a.engine, err = engine.New(engine.Config{
		DedupeWindow:      e.cfg.Engine.DedupeWindow,
		MaxAttempts:       e.cfg.Engine.MaxAttempts,
		Limits:            limits,
		OrgConcurrency:    e.cfg.Engine.OrgConcurrency,
		OrgRatePerMinute:  e.cfg.Engine.OrgRatePerMinute,
		UserRatePerMinute: e.cfg.Engine.UserRatePerMinute,
	}, engine.Deps{Store: a.store, Queue: a.queue, Providers: registry, Limiter: limiter,
		Slots: slots, Disk: a.disk, Media: a.media, Outbound: outbound, Metrics: a.metrics,
		Logger: a.log, TempDir: tmp})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (a *app) openQueue(ctx context.Context) error {
	if a.cfg.QueueConnection != "redis" {
		a.queue = queue.NewDatabase(a.db)
		return nil
	}
	a.redis = redis.NewClient(&redis.Options{Addr: a.cfg.Redis.Addr(),
		Password: a.cfg.Redis.Password, DB: a.cfg.Redis.DB})
	a.closers = append(a.closers, a.redis.Close)
	if err := a.redis.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("cli: connecting to Redis at %s: %w", a.cfg.Redis.Addr(), err)
	}
	a.queue = queue.NewRedis(queue.RedisConfig{Client: a.redis, Prefix: "reelforge:q",
		DB: a.db, Logger: a.log})
	return nil
}

// providers builds the registry of PROVIDERS_ENABLED. The simulator runs in
// this process unless PROVIDER_SIM_BASE_URL names one served elsewhere.
func (a *app) providers(ctx context.Context) (*provider.Registry, error) {
	factories := map[string]provider.Factory{}
	configs := map[string]provider.Config{}
	for _, name := range a.cfg.Providers.Enabled {
		if name != sim.Name {
			return nil, fmt.Errorf("config: invalid PROVIDERS_ENABLED: the %s adapter is "+
				"not part of this build yet; enable sim", name)
		}
	}
	if a.cfg.Engine.SimBaseURL != "" {
		factories[sim.Name] = sim.RemoteFactory()
		configs[sim.Name] = provider.Config{Name: sim.Name, BaseURL: a.cfg.Engine.SimBaseURL,
			Credentials: a.cfg.Getenv("SIM_TOKEN"), Logger: a.log,
			HTTPClient: &http.Client{Timeout: 30 * time.Second}, Getenv: a.cfg.Getenv}
	} else {
		simCfg, err := sim.LoadConfig(a.cfg.Getenv)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		simCfg.BaseURL = a.cfg.AppURL + "/sim"
		if simCfg.OutputDir == "" {
			simCfg.OutputDir = filepath.Join(a.cfg.DataDir, "sim")
		}
		simCfg.Runner, simCfg.Logger = a.media, a.log
		if a.sim, err = sim.New(simCfg); err != nil {
			return nil, err
		}
		a.closers = append(a.closers, a.sim.Close)
		s := a.sim
		factories[sim.Name] = func(provider.Config) (provider.Provider, error) { return s, nil }
	}
	return provider.NewRegistry(a.cfg.Providers.Enabled, factories, configs)
}

// handler is the whole HTTP surface of an API node.
func (a *app) handler() http.Handler {
	api := httpapi.New(httpapi.Config{
		AccessTokenTTL:         a.cfg.AccessTokenTTL,
		RefreshTokenTTL:        a.cfg.RefreshTokenTTL,
		LoginAttemptsPerMinute: a.cfg.LoginAttemptsPerMinute,
		MaxBodyBytes:           a.cfg.MaxBodyBytes,
		PasswordCost:           a.cfg.PasswordCost,
		TrustedProxies:         a.cfg.TrustedProxies,
		Version:                version.String(),
	}, a.store, auth.NewTokens(a.keys.JWT, a.cfg.AccessTokenTTL), a.log)
	api.Use(httpapi.Deps{Engine: a.engine, Disk: a.disk, Metrics: a.metrics})
	mux := http.NewServeMux()
	mux.Handle("/", api.Handler())
	mux.Handle("/files/", a.disk.Handler())
	mux.Handle("GET /metrics", a.metrics.Handler())
	if a.sim != nil {
		mux.Handle("/sim/", http.StripPrefix("/sim", a.sim.Handler()))
	}
	return mux
}

// startWorkers runs a queue pool on queues (all of the engine's when
// empty), plus the outbox relay of the Redis queue.
func (a *app) startWorkers(ctx context.Context, queues []string, concurrency int) (*queue.Pool, error) {
	if len(queues) == 0 {
		queues = a.engine.Queues()
	}
	pool, err := queue.NewPool(queue.PoolConfig{Backend: a.queue, Queues: queues,
		Concurrency: concurrency, Handler: a.engine.Handle, Logger: a.log,
		Lease: a.cfg.Engine.QueueLease})
	if err != nil {
		return nil, err
	}
	if err := pool.Start(ctx); err != nil {
		return nil, err
	}
	if r, ok := a.queue.(*queue.Redis); ok {
		go func() {
			if err := r.Relay(ctx); err != nil && !errors.Is(err, context.Canceled) {
				a.log.ErrorContext(ctx, "cli: outbox relay stopped", slog.String("error", err.Error()))
			}
		}()
	}
	a.log.InfoContext(ctx, "cli: workers started", slog.String("queues",
		strings.Join(queues, ",")), slog.Int("concurrency", concurrency))
	return pool, nil
}

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		_ = a.closers[i]()
	}
}
