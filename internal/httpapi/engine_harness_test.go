package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/db"
	"github.com/reelforge/reelforge/internal/db/dbtest"
	"github.com/reelforge/reelforge/internal/engine"
	"github.com/reelforge/reelforge/internal/media"
	"github.com/reelforge/reelforge/internal/netguard"
	"github.com/reelforge/reelforge/internal/obs"
	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/provider/sim"
	"github.com/reelforge/reelforge/internal/queue"
	"github.com/reelforge/reelforge/internal/ratelimit"
	"github.com/reelforge/reelforge/internal/redistest"
	"github.com/reelforge/reelforge/internal/secret"
	"github.com/reelforge/reelforge/internal/storage"
	"github.com/reelforge/reelforge/internal/store"
)

// engineOpts tune the engine of a test bundle.
type engineOpts struct {
	cfg        engine.Config
	simQueue   time.Duration
	simRender  time.Duration
	workers    int
	noWorkers  bool
	redisQueue bool
	// maxUpload sets the API's upload limit; 0 keeps the default.
	maxUpload int64
	// cold adds object storage (a versitygw bucket) as the cold disk.
	cold bool
	// providers are enabled after the simulator, each built by its factory
	// from its configuration, as `reelforge serve` builds vendor adapters.
	providers []extraProvider
}

// extraProvider is a vendor adapter a test enables, usually pointed at a
// fake vendor server through config.BaseURL. A nil config.HTTPClient gets
// one with a short timeout, so a hanging vendor fails a test quickly.
type extraProvider struct {
	name    string
	factory provider.Factory
	config  provider.Config
}

// engineBundle is a test bundle with the generation engine, the simulator
// and workers running, wired as `reelforge serve` wires them.
type engineBundle struct {
	*testBundle
	engine  *engine.Engine
	sim     *sim.Sim
	media   *media.Runner
	disk    *storage.Local
	cold    storage.Disk
	tmp     string
	metrics *obs.Metrics
	queue   queue.Backend
	pool    *queue.Pool
}

// queueFor picks the queue backend of a dialect: the database queue on
// SQLite, the Redis queue on MySQL, so every engine test covers both.
func setupEngine(t *testing.T, dialect string, o engineOpts) *engineBundle {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t, dialect)
	st := store.New(d)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	keys, err := auth.DeriveKeys([]byte(dbtest.RandomHex(32)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	runner, err := media.NewRunner(media.Config{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	disk, err := storage.NewLocal(storage.LocalConfig{Root: filepath.Join(t.TempDir(), "files"),
		BaseURL: base, SigningKey: keys.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = disk.Close() })
	s, err := sim.New(sim.Config{QueueDelay: o.simQueue, RenderDelay: o.simRender,
		Preset: "ultrafast", OutputDir: t.TempDir(), MaxParallelRenders: 2,
		BaseURL: base + "/sim", Runner: runner, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	factories := map[string]provider.Factory{
		sim.Name: func(provider.Config) (provider.Provider, error) { return s, nil },
	}
	enabled, configs := []string{sim.Name}, map[string]provider.Config{}
	for _, x := range o.providers {
		if x.config.HTTPClient == nil {
			x.config.HTTPClient = &http.Client{Timeout: 3 * time.Second}
		}
		enabled = append(enabled, x.name)
		factories[x.name], configs[x.name] = x.factory, x.config
	}
	registry, err := provider.NewRegistry(enabled, factories, configs)
	if err != nil {
		t.Fatal(err)
	}
	var backend queue.Backend = queue.NewDatabase(d)
	var limiter ratelimit.Limiter = ratelimit.NewMemory()
	var slots ratelimit.Semaphore = ratelimit.NewMemorySemaphore()
	var relay *queue.Redis
	if o.redisQueue || dialect == db.MySQL {
		rdb := redistest.Client(t)
		prefix := redistest.Prefix(t, rdb, "engine")
		relay = queue.NewRedis(queue.RedisConfig{Client: rdb, Prefix: prefix + ":q", DB: d,
			Logger: log})
		backend = relay
		limiter = ratelimit.NewRedis(rdb, prefix+":rl")
		slots = ratelimit.NewRedisSemaphore(rdb, prefix+":slots")
	}
	metrics := obs.NewMetrics()
	var cold storage.Disk
	if o.cold {
		cold = startColdDisk(t)
	}
	tmp := t.TempDir()
	box, err := secret.NewBox(keys.Secrets, 1)
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.PublicURL == "" {
		o.cfg.PublicURL, o.cfg.CallbackKey = base, keys.URL
	}
	eng, err := engine.New(o.cfg, engine.Deps{Store: st, Queue: backend, Providers: registry,
		Limiter: limiter, Slots: slots, Disk: disk, Media: runner,
		Outbound: netguard.NewClient(netguard.Policy{Allow: []string{"127.0.0.1"}},
			netguard.Options{}), Metrics: metrics, Logger: log, TempDir: tmp, Cold: cold,
		AccountSource: &engine.Accounts{Store: st, Box: box, Factories: factories,
			Base: configs}})
	if err != nil {
		t.Fatal(err)
	}
	api := New(Config{AccessTokenTTL: 15 * time.Minute, RefreshTokenTTL: time.Hour,
		LoginAttemptsPerMinute: 1000, MaxBodyBytes: 1 << 20, PasswordCost: 4,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Version: "test",
		MaxUploadBytes: o.maxUpload}, st, auth.NewTokens(keys.JWT, 15*time.Minute), log)
	api.Use(Deps{Engine: eng, Disk: disk, Metrics: metrics, Box: box})
	mux := http.NewServeMux()
	mux.Handle("/", api.Handler())
	mux.Handle("/files/", disk.Handler())
	mux.Handle("GET /metrics", metrics.Handler())
	mux.Handle("/sim/", http.StripPrefix("/sim", s.Handler()))
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux}}
	srv.Start()
	t.Cleanup(srv.Close)

	b := &engineBundle{testBundle: &testBundle{dialect: dialect, srv: srv, api: api, store: st,
		checker: newOpenAPIChecker(t)}, engine: eng, sim: s, media: runner, disk: disk,
		cold: cold, tmp: tmp, metrics: metrics, queue: backend}
	runCtx, cancel := context.WithCancel(ctx)
	if relay != nil {
		go func() { _ = relay.Relay(runCtx) }()
	}
	if !o.noWorkers {
		b.pool = b.startPool(t, runCtx, max(o.workers, 4))
	}
	t.Cleanup(func() {
		if b.pool != nil {
			stopCtx, done := context.WithTimeout(ctx, 10*time.Second)
			_ = b.pool.Stop(stopCtx)
			done()
		}
		cancel()
	})
	return b
}

func (b *engineBundle) startPool(t *testing.T, ctx context.Context, n int) *queue.Pool {
	t.Helper()
	pool, err := queue.NewPool(queue.PoolConfig{Backend: b.queue, Queues: b.engine.Queues(),
		Concurrency: n, Handler: b.engine.Handle, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return pool
}

// waitJob polls a job until it is final, failing the test after timeout.
func (b *engineBundle) waitJob(t *testing.T, token, id string, timeout time.Duration) *result {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		res := b.call(t, "GET", "/api/v1/jobs/"+id, token, nil).want(t, http.StatusOK)
		if store.Terminal(res.str(t, "status")) {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s not final after %s: %s", id, timeout, res.raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
