// Package engine runs generation: it turns a job request into tasks, puts
// them on per-provider queues, and drives each task through its provider
// (create, poll, download) and the media queue (probe, transcode, poster)
// under concurrency caps and rate limits, writing every transition to the
// job's event log. The job_tasks rows are the truth; queue entries only
// point at them, so any worker on any machine can pick a task up where a
// dead one left it.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/reelforge/reelforge/internal/media"
	"github.com/reelforge/reelforge/internal/netguard"
	"github.com/reelforge/reelforge/internal/obs"
	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/queue"
	"github.com/reelforge/reelforge/internal/ratelimit"
	"github.com/reelforge/reelforge/internal/storage"
	"github.com/reelforge/reelforge/internal/store"
)

// MediaQueue is the queue of FFmpeg work: probing, transcoding, posters.
const MediaQueue = "media"

// Config tunes the engine. Zero fields take the defaults stated on each.
type Config struct {
	// DedupeWindow is how long an identical variant reuses an earlier
	// output instead of paying again. Defaults to 24h; negative disables.
	DedupeWindow time.Duration
	// MaxAttempts is how many times a task is tried before it fails with
	// its last error. Defaults to 3.
	MaxAttempts int
	// SlotTTL is how long a concurrency slot survives without renewal, so
	// the slot of a worker that died comes back. Defaults to 10m.
	SlotTTL time.Duration
	// PollMin and PollMax bound the delay between status checks when the
	// provider gives no advice. Default 1s and 30s.
	PollMin, PollMax time.Duration
	// Limits are the per-provider caps. A provider missing here uses the
	// defaults its capabilities declare.
	Limits map[string]Limits
	// OrgConcurrency caps the tasks one organization runs at once across
	// all providers and machines. Defaults to 0, no cap.
	OrgConcurrency int
	// OrgRatePerMinute and UserRatePerMinute cap provider calls that start
	// tasks. Default 0, no cap.
	OrgRatePerMinute, UserRatePerMinute int
	// MaxOutputBytes caps one downloaded provider output. Defaults to 2 GiB.
	MaxOutputBytes int64
	// Preset is the x264 preset of transcodes. Defaults to "veryfast".
	Preset string
	// BreakerThreshold is how many provider failures in a row open a
	// provider account's circuit; BreakerCooldown how long it stays open.
	// Default 5 and 30s.
	BreakerThreshold int
	BreakerCooldown  time.Duration
	// PublicURL is where vendors reach this installation (APP_URL); with
	// CallbackKey it makes the webhook URLs given to providers that push.
	// Empty means no webhooks: tasks are polled only.
	PublicURL   string
	CallbackKey []byte
}

// Limits are one provider's concurrency cap and start rate.
type Limits struct {
	Concurrency   int
	RatePerMinute int
}

func (c Config) withDefaults() Config {
	if c.DedupeWindow == 0 {
		c.DedupeWindow = 24 * time.Hour
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 3
	}
	if c.SlotTTL == 0 {
		c.SlotTTL = 10 * time.Minute
	}
	if c.PollMin == 0 {
		c.PollMin = time.Second
	}
	if c.PollMax == 0 {
		c.PollMax = 30 * time.Second
	}
	if c.MaxOutputBytes == 0 {
		c.MaxOutputBytes = 2 << 30
	}
	if c.Preset == "" {
		c.Preset = "veryfast"
	}
	if c.BreakerThreshold == 0 {
		c.BreakerThreshold = 5
	}
	if c.BreakerCooldown == 0 {
		c.BreakerCooldown = 30 * time.Second
	}
	return c
}

// Deps are the engine's collaborators.
type Deps struct {
	Store     *store.Store
	Queue     queue.Backend
	Providers *provider.Registry
	Limiter   ratelimit.Limiter
	Slots     ratelimit.Semaphore
	Disk      storage.Disk
	Media     *media.Runner
	// Cold, when set, is object storage that keeps a copy of every final
	// file (deliverables, posters, uploads, exports), recorded as a "cold"
	// storage_files row; Disk then stays the hot working store that FFmpeg
	// reads and writes. Nil keeps everything on Disk alone.
	Cold storage.Disk
	// Outbound downloads provider outputs; it must be SSRF-guarded.
	Outbound *http.Client
	Metrics  *obs.Metrics
	Bus      *Bus
	Logger   *slog.Logger
	// TempDir holds downloads while they are probed and transcoded.
	TempDir string
	// AccountSource resolves organizations' own provider accounts; nil
	// means every organization uses the platform's credentials.
	AccountSource *Accounts
	// OutboundPolicy checks user-supplied URLs (image_url) at submission,
	// the same policy the Outbound client enforces when dialing.
	OutboundPolicy netguard.Policy
}

// Engine submits jobs and runs their tasks.
type Engine struct {
	cfg Config
	Deps
	breaker *breaker
	now     func() time.Time
}

// New returns an engine.
func New(cfg Config, deps Deps) (*Engine, error) {
	if deps.Store == nil || deps.Queue == nil || deps.Providers == nil || deps.Disk == nil ||
		deps.Media == nil || deps.Outbound == nil {
		return nil, errors.New("engine: store, queue, providers, disk, media and outbound " +
			"client are required")
	}
	if deps.Limiter == nil {
		deps.Limiter = ratelimit.NewMemory()
	}
	if deps.Slots == nil {
		deps.Slots = ratelimit.NewMemorySemaphore()
	}
	if deps.Bus == nil {
		deps.Bus = NewBus()
	}
	if deps.Metrics == nil {
		deps.Metrics = obs.NewMetrics()
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	e := &Engine{cfg: cfg, Deps: deps, now: time.Now,
		breaker: newBreaker(cfg.BreakerThreshold, cfg.BreakerCooldown)}
	if err := e.registerMetrics(); err != nil {
		return nil, fmt.Errorf("engine: registering metrics: %w", err)
	}
	return e, nil
}

// Queues lists the queues the engine's tasks use: one per enabled provider
// and the media queue.
func (e *Engine) Queues() []string {
	return append(e.Providers.Names(), MediaQueue)
}

// limitsOf returns a provider's caps: the configured ones, else the
// defaults its capabilities declare.
func (e *Engine) limitsOf(name string, caps provider.Capabilities) Limits {
	l, ok := e.cfg.Limits[name]
	if !ok {
		l = Limits{Concurrency: caps.DefaultConcurrency, RatePerMinute: caps.DefaultRatePerMinute}
	}
	return l
}

// Handle runs one queue entry; it is the queue pool's handler.
func (e *Engine) Handle(ctx context.Context, entry *queue.Entry) error {
	if entry.Queue == MediaQueue {
		if entry.Kind == KindAssemble {
			return e.assemble(ctx, entry)
		}
		return e.finalize(ctx, entry)
	}
	return e.step(ctx, entry)
}
