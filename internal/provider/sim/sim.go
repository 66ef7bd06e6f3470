package sim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/reelforge/reelforge/internal/media"
	"github.com/reelforge/reelforge/internal/provider"
)

// Name is the simulator's provider name in PROVIDERS_ENABLED.
const Name = "sim"

// Sim is the simulator provider. It is safe for concurrent use; Close stops
// every render.
type Sim struct {
	cfg    Config
	runner *media.Runner
	font   string
	log    *slog.Logger
	sem    chan struct{}
	root   context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup

	mu          sync.Mutex
	rng         *mrand.Rand
	closed      bool
	jobs        map[string]*job
	byTask      map[string]string
	creates     map[string]int
	total       int
	rateLimited map[string]bool
}

// New builds a simulator from cfg (see Config for defaults). It resolves
// ffmpeg and the font once, so a broken installation fails at start-up.
func New(cfg Config) (*Sim, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	runner := cfg.Runner
	if runner == nil {
		if runner, err = media.NewRunner(media.Config{Logger: cfg.Logger}); err != nil {
			return nil, fmt.Errorf("sim: starting ffmpeg runner: %w", err)
		}
	}
	font := cfg.FontFile
	if font == "" {
		font = findFont(context.Background())
	} else if !fileExists(font) {
		return nil, fmt.Errorf("%w: font %q not found", ErrInvalidConfig, font)
	}
	if font == "" {
		cfg.Logger.Warn("sim: no CJK font found; Chinese prompts will not render",
			"provider", Name)
	}
	root, stop := context.WithCancel(context.Background())
	return &Sim{cfg: cfg, runner: runner, font: font, log: cfg.Logger,
		sem: make(chan struct{}, cfg.MaxParallelRenders), root: root, stop: stop,
		rng:  mrand.New(mrand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		jobs: map[string]*job{}, byTask: map[string]string{}, creates: map[string]int{},
		rateLimited: map[string]bool{}}, nil
}

// Factory returns a provider.Factory for the command wiring of the process
// that runs the simulator itself (see the package doc for Factory versus
// RemoteFactory): it reads the SIM_* variables through Config.Getenv, takes
// BaseURL and Logger from the provider.Config when set, uses its Credentials
// as the API token when SIM_TOKEN is unset, and shares runner (nil builds
// one).
func Factory(runner *media.Runner) provider.Factory {
	return func(pc provider.Config) (provider.Provider, error) {
		cfg, err := LoadConfig(pc.Getenv)
		if err != nil {
			return nil, err
		}
		if pc.BaseURL != "" {
			cfg.BaseURL = pc.BaseURL
		}
		if cfg.Token == "" {
			cfg.Token = pc.Credentials
		}
		cfg.Logger, cfg.Runner, cfg.HTTPClient = pc.Logger, runner, pc.HTTPClient
		return New(cfg)
	}
}

// Name returns "sim".
func (s *Sim) Name() string { return Name }

// Capabilities advertises one model, "sim-1", that accepts every kind, 1–20 s,
// every tier and aspect ratio, and audio. Prices (1 ¢/s at 720p, 2 at 1080p,
// 4 at 2k, 8 at 4k; images 1–4 ¢) exist so that cost tracking is exercised.
func (s *Sim) Capabilities() provider.Capabilities {
	return capabilities(s.cfg.MaxParallelRenders)
}

// capabilities is shared by Sim and Remote so that the API node and the
// workers validate and price requests identically; concurrency is the
// simulator's SIM_MAX_PARALLEL.
func capabilities(concurrency int) provider.Capabilities {
	kinds := []provider.Kind{provider.KindTextToVideo, provider.KindImageToVideo,
		provider.KindTextToImage}
	return provider.Capabilities{
		Provider: Name, Kinds: kinds,
		Models: []provider.Model{{ID: "sim-1", Name: "Reelforge simulator", Kinds: kinds,
			MinDuration: 1, MaxDuration: 20, DefaultDuration: 5,
			Resolutions:  []string{"720p", "1080p", "2k", "4k"},
			AspectRatios: []string{"16:9", "9:16", "1:1", "21:9"}, Audio: true,
			MaxPromptChars: 10000}},
		Price: provider.PriceModel{
			PerSecondCents: map[string]int64{"720p": 1, "1080p": 2, "2k": 4, "4k": 8},
			PerImageCents:  map[string]int64{"720p": 1, "1080p": 1, "2k": 2, "4k": 4},
		},
		DefaultConcurrency: concurrency, DefaultRatePerMinute: 600,
	}
}

// Creates returns how many times Create was called for taskID, including
// calls answered with an existing job or an error.
func (s *Sim) Creates(taskID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates[taskID]
}

// TotalCreates returns how many times Create was called in all.
func (s *Sim) TotalCreates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Create validates req, applies the failure controls and starts a job in
// the background. A TaskID that already has a job returns that job.
func (s *Sim) Create(ctx context.Context, req provider.Request) (provider.Created, error) {
	id, _, err := s.create(ctx, req)
	if err != nil {
		return provider.Created{}, err
	}
	return provider.Created{JobID: id}, nil
}

// create is Create that also reports whether the task already had a job,
// which the HTTP API answers with 200 instead of 201.
func (s *Sim) create(ctx context.Context, req provider.Request) (id string, existed bool,
	err error) {
	if err := ctx.Err(); err != nil {
		return "", false, provider.AsError(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total++
	if req.TaskID != "" {
		s.creates[req.TaskID]++
		if known, ok := s.byTask[req.TaskID]; ok {
			return known, true, nil
		}
	}
	if s.closed {
		return "", false, provider.NewError(provider.CodeProviderError,
			"simulator is shut down")
	}
	ctl, err := parseControls(req.Params)
	if err != nil {
		return "", false, err
	}
	key := req.TaskID
	if key == "" {
		key = "prompt:" + req.Prompt
	}
	if ctl.rateLimitOnce && !s.rateLimited[key] {
		s.rateLimited[key] = true
		return "", false, rateLimited()
	}
	if s.cfg.RateLimitRate > 0 && s.rng.Float64() < s.cfg.RateLimitRate {
		return "", false, rateLimited()
	}
	caps := s.Capabilities()
	req = caps.WithDefaults(req)
	if err := caps.Validate(req); err != nil {
		e := provider.AsError(err)
		e.HTTPStatus = http.StatusUnprocessableEntity
		return "", false, e
	}
	if syncFail(ctl) {
		return "", false, forcedError(ctl.fail)
	}
	if ctl.fail == "" && s.cfg.FailRate > 0 && s.rng.Float64() < s.cfg.FailRate {
		ctl.fail = provider.CodeProviderError
	}
	if ctl.fail == "" && s.cfg.TimeoutRate > 0 && s.rng.Float64() < s.cfg.TimeoutRate {
		ctl.fail = provider.CodeTimeout
	}
	j := s.newJob(req, ctl)
	s.jobs[j.id] = j
	if req.TaskID != "" {
		s.byTask[req.TaskID] = j.id
	}
	s.wg.Add(1)
	go s.run(j)
	s.log.Info("sim: job created", "provider", Name, "task_id", req.TaskID, "job_id", j.id,
		"kind", string(req.Kind), "duration_s", req.DurationSeconds)
	return j.id, false, nil
}

func rateLimited() *provider.Error {
	return &provider.Error{Code: provider.CodeRateLimited, Message: "simulated rate limit",
		RetryAfter: time.Second, HTTPStatus: http.StatusTooManyRequests}
}

func (s *Sim) newJob(req provider.Request, ctl controls) *job {
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := "sim_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithCancel(s.root)
	j := &job{id: id, req: req, dir: filepath.Join(s.cfg.OutputDir, id), ctx: ctx,
		cancel: cancel, done: make(chan struct{}), created: time.Now(),
		queueDelay: s.cfg.QueueDelay, renderDelay: s.cfg.RenderDelay, fail: ctl.fail,
		failAt: ctl.failAt, state: provider.StateQueued}
	if ctl.queue != nil {
		j.queueDelay = *ctl.queue
	}
	if ctl.render != nil {
		j.renderDelay = *ctl.render
	}
	return j
}

// Get reports a job. Unknown ids (including every id after a restart) are a
// bad_request "unknown job".
func (s *Sim) Get(ctx context.Context, jobID string) (provider.Status, error) {
	if err := ctx.Err(); err != nil {
		return provider.Status{}, provider.AsError(err)
	}
	s.mu.Lock()
	j, ok := s.jobs[jobID]
	s.mu.Unlock()
	if !ok {
		return provider.Status{}, unknownJob(jobID)
	}
	return j.status(time.Now()), nil
}

func unknownJob(id string) *provider.Error {
	e := provider.NewError(provider.CodeBadRequest, fmt.Sprintf("unknown job %q", id))
	e.HTTPStatus = http.StatusNotFound
	return e
}

// Cancel stops a job's render and waits until ffmpeg has exited and the job
// is canceled, or until ctx ends. Cancelling a finished job changes nothing.
func (s *Sim) Cancel(ctx context.Context, jobID string) error {
	s.mu.Lock()
	j, ok := s.jobs[jobID]
	s.mu.Unlock()
	if !ok {
		return unknownJob(jobID)
	}
	j.cancel()
	select {
	case <-j.done:
		return nil
	case <-ctx.Done():
		return provider.AsError(ctx.Err())
	}
}

// Close cancels every running job and waits for their ffmpeg processes to
// exit. Later Creates fail with provider_error; Get keeps answering.
func (s *Sim) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.stop()
	s.wg.Wait()
	return nil
}

// run drives one job through its lifecycle.
func (s *Sim) run(j *job) {
	defer s.wg.Done()
	defer close(j.done)
	start := time.Now()
	if !sleepCtx(j.ctx, j.queueDelay) {
		j.finish(provider.StateCanceled, nil, nil, "")
		return
	}
	select {
	case s.sem <- struct{}{}:
	case <-j.ctx.Done():
		j.finish(provider.StateCanceled, nil, nil, "")
		return
	}
	defer func() { <-s.sem }()
	j.startProcessing(time.Now())
	outs, cover, err := s.process(j)
	switch {
	case errors.Is(err, errCanceled):
		j.finish(provider.StateCanceled, nil, nil, "")
	case err != nil:
		pe := provider.AsError(err)
		var fe *forcedFailure
		if errors.As(err, &fe) {
			pe = forcedError(fe.code)
		} else if pe.Code != provider.CodeBadRequest {
			s.log.Warn("sim: render failed", "provider", Name, "task_id", j.req.TaskID,
				"job_id", j.id, "error", err)
			pe = provider.NewError(provider.CodeProviderError, "simulated render failed")
		}
		j.finish(provider.StateFailed, nil, pe, "")
	default:
		j.finish(provider.StateSucceeded, outs, nil, cover)
	}
	s.log.Info("sim: job finished", "provider", Name, "task_id", j.req.TaskID,
		"job_id", j.id, "status", string(j.snapshotState()),
		"duration_ms", time.Since(start).Milliseconds())
}

// errCanceled marks a job stopped by Cancel or Close.
var errCanceled = errors.New("sim: job canceled")

// forcedFailure is a failure requested by the controls or the random rates.
type forcedFailure struct{ code provider.Code }

func (f *forcedFailure) Error() string { return "sim: forced " + string(f.code) }

// process renders while enforcing the simulated render time and the
// fail-at-progress control.
func (s *Sim) process(j *job) ([]provider.Output, string, error) {
	rctx, rcancel := context.WithCancel(j.ctx)
	defer rcancel()
	type result struct {
		outs  []provider.Output
		cover string
		err   error
	}
	results := make(chan result, 1)
	go func() {
		outs, cover, err := s.render(rctx, j, j.setRenderProgress)
		results <- result{outs, cover, err}
	}()
	tick := time.NewTicker(40 * time.Millisecond)
	defer tick.Stop()
	var res *result
	for {
		select {
		case r := <-results:
			res = &r
			if r.err != nil {
				if j.ctx.Err() != nil {
					return nil, "", errCanceled
				}
				return nil, "", r.err
			}
			j.setRenderProgress(1)
		case <-tick.C:
		case <-j.ctx.Done():
			rcancel()
			if res == nil {
				<-results // wait until ffmpeg has exited
			}
			return nil, "", errCanceled
		}
		p := j.progressAt(time.Now())
		if j.failAt > 0 && p >= j.failAt {
			rcancel()
			if res == nil {
				<-results
			}
			return nil, "", &forcedFailure{code: j.failCode()}
		}
		if res != nil && time.Since(j.processingSince()) >= j.renderDelay {
			if j.fail != "" || j.failAt > 0 {
				return nil, "", &forcedFailure{code: j.failCode()}
			}
			return res.outs, res.cover, nil
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Find returns the job created for a task id, without counting a create.
func (s *Sim) Find(ctx context.Context, taskID string) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, provider.AsError(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byTask[taskID]
	return id, ok, nil
}
