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
	"github.com/reelforge/reelforge/internal/provider/sim"
	"github.com/reelforge/reelforge/internal/queue"
	"github.com/reelforge/reelforge/internal/ratelimit"
	"github.com/reelforge/reelforge/internal/secret"
	"github.com/reelforge/reelforge/internal/storage"
	"github.com/reelforge/reelforge/internal/store"
	"github.com/reelforge/reelforge/internal/version"
	"github.com/reelforge/reelforge/web"
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
	cold    storage.Disk // object storage when STORAGE_DISK is s3 or oss, else nil
	media   *media.Runner
	sim     *sim.Sim
	box     *secret.Box
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
	if err := a.openDisks(ctx); err != nil {
		return nil, err
	}
	if err := a.openQueue(ctx); err != nil {
		return nil, err
	}
	registry, factories, configs, err := a.providers(ctx)
	if err != nil {
		return nil, err
	}
	if a.box, err = secret.NewBox(a.keys.Secrets, 1); err != nil {
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
		PublicURL:         e.cfg.AppURL,
		CallbackKey:       a.keys.URL,
	}, engine.Deps{Store: a.store, Queue: a.queue, Providers: registry, Limiter: limiter,
		Slots: slots, Disk: a.disk, Media: a.media, Outbound: outbound, Metrics: a.metrics,
		Logger: a.log, TempDir: tmp, Cold: a.cold, OutboundPolicy: netguard.Policy{Allow: allow},
		AccountSource: &engine.Accounts{Store: a.store, Box: a.box, Factories: factories,
			Base: configs}})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// openDisks opens the local disk, which is always the hot working store
// that FFmpeg reads and writes, and for STORAGE_DISK=s3 or oss the object
// storage that keeps the cold copy of every final file and serves it.
func (a *app) openDisks(ctx context.Context) error {
	var err error
	a.disk, err = storage.NewLocal(storage.LocalConfig{Root: filepath.Join(a.cfg.DataDir,
		"storage"), BaseURL: a.cfg.AppURL, SigningKey: a.keys.URL})
	if err != nil {
		return err
	}
	a.closers = append(a.closers, a.disk.Close)
	sc := a.cfg.Storage
	var cfg storage.S3Config
	switch sc.Disk {
	case "s3":
		cfg = storage.S3Config{Endpoint: sc.S3Endpoint, Region: sc.S3Region,
			Bucket: sc.S3Bucket, AccessKeyID: sc.S3AccessKeyID, SecretAccessKey: sc.S3SecretKey,
			UseSSL: sc.S3UseSSL, PathStyle: sc.S3PathStyle}
	case "oss":
		// OSS_ENDPOINT names the region: [s3.]oss-<region>[-internal].aliyuncs.com.
		host := strings.TrimPrefix(strings.TrimPrefix(sc.OSSEndpoint, "https://"), "http://")
		region := strings.TrimSuffix(strings.TrimSuffix(host, ".aliyuncs.com"), "-internal")
		region = strings.TrimPrefix(region, "s3.")
		cfg = storage.OSSPreset(region)
		cfg.Endpoint = host
		cfg.Bucket, cfg.AccessKeyID = sc.OSSBucket, sc.OSSAccessKeyID
		cfg.SecretAccessKey = sc.OSSAccessSecret
	default:
		return nil
	}
	cfg.CDNBaseURL = sc.CDNBaseURL
	if a.cold, err = storage.NewS3(ctx, cfg); err != nil {
		return fmt.Errorf("config: invalid STORAGE_DISK=%s settings: %w", sc.Disk, err)
	}
	a.log.InfoContext(ctx, "cli: storage is hot local disk plus cold object storage",
		slog.String("disk", sc.Disk))
	return nil
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

// handler is the whole HTTP surface of an API node.
func (a *app) handler() http.Handler {
	api := httpapi.New(httpapi.Config{
		AccessTokenTTL:         a.cfg.AccessTokenTTL,
		RefreshTokenTTL:        a.cfg.RefreshTokenTTL,
		LoginAttemptsPerMinute: a.cfg.LoginAttemptsPerMinute,
		MaxBodyBytes:           a.cfg.MaxBodyBytes,
		MaxUploadBytes:         a.cfg.Storage.MaxUploadBytes,
		PasswordCost:           a.cfg.PasswordCost,
		TrustedProxies:         a.cfg.TrustedProxies,
		Version:                version.String(),
	}, a.store, auth.NewTokens(a.keys.JWT, a.cfg.AccessTokenTTL), a.log)
	api.Use(httpapi.Deps{Engine: a.engine, Disk: a.disk, Metrics: a.metrics, Box: a.box})
	mux := http.NewServeMux()
	apiHandler := api.Handler()
	mux.Handle("/api/", apiHandler)
	mux.Handle("/healthz", apiHandler)
	mux.Handle("/readyz", apiHandler)
	mux.Handle("/", web.Handler(a.mediaOrigins()...))
	mux.Handle("/files/", a.disk.Handler())
	mux.Handle("GET /metrics", a.metrics.Handler())
	if a.sim != nil {
		mux.Handle("/sim/", http.StripPrefix("/sim", a.sim.Handler()))
	}
	return mux
}

// mediaOrigins are the places besides APP_URL that signed links point at
// (object storage or its CDN), which the console's CSP must allow for images
// and videos. Signing a link is local work when the region is configured.
func (a *app) mediaOrigins() []string {
	origins := []string{a.cfg.AppURL}
	if a.cold != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if u, err := a.cold.URL(ctx, "console/probe", time.Minute, ""); err == nil {
			origins = append(origins, u)
		}
	}
	return origins
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
